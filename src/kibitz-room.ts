// The script-tag bundle: registers <kibitz-room> and exports the public API, so both
// <script type="module" src=".../kibitz-room.js"> and import('.../kibitz-room.js') work.
import './define.js';
export * from './index.js';
