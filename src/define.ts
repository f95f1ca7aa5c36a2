// Registers <kibitz-room>. The only module with this side effect.
import { KibitzRoomElement } from './element/kibitz-room.js';

if (!customElements.get('kibitz-room')) customElements.define('kibitz-room', KibitzRoomElement);

declare global {
  interface HTMLElementTagNameMap {
    'kibitz-room': KibitzRoomElement;
  }
}
