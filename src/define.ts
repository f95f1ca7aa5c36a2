// Registers <kibitz-room>. The only module with this side effect.
import { KibitzRoomElement } from './element/kibitz-room.js';
import { completeSignIn } from './element/sign-in-callback.js';

// A page that is a sign-in popup's answer hands it back and closes; it registers nothing.
if (!completeSignIn() && !customElements.get('kibitz-room')) customElements.define('kibitz-room', KibitzRoomElement);

declare global {
  interface HTMLElementTagNameMap {
    'kibitz-room': KibitzRoomElement;
  }
}
