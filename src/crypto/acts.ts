// The capabilities a grant names. Apart from the signed room state, so the element's grant
// controls need not load it.

/** What a peer may receive: media kinds, broadcast messages and files, messages to it, the others' names. */
export const PERCEIVE = ['audio', 'camera', 'screen', 'chat', 'direct', 'roster'] as const;
/** What a peer may send: its microphone, camera and screen, messages, files. */
export const ACT = ['speak', 'camera', 'screen', 'chat', 'files'] as const;
export type Perceive = (typeof PERCEIVE)[number];
export type Act = (typeof ACT)[number];
