// The chosen speaker, for every player in the element (tiles and hidden players). Apart from the
// tiles, which load with a call's code: the pre-join panel offers the speaker menu too.

/** Whether this browser can route a media element's sound to a chosen speaker. */
export const canPickSpeaker = (): boolean => typeof HTMLMediaElement !== 'undefined' && 'setSinkId' in HTMLMediaElement.prototype;

type SinkMedia = HTMLMediaElement & { sinkId?: string; setSinkId?(id: string): Promise<void> };

/** Play every tile's (and hidden player's) sound on `speakerId`; a refused device leaves the default. */
export function applySpeaker(root: ParentNode, speakerId: string): void {
  if (!canPickSpeaker()) return;
  for (const media of root.querySelectorAll<SinkMedia>('video, audio')) {
    if ((media.sinkId ?? '') === speakerId) continue;
    void media.setSinkId?.(speakerId).catch(() => undefined);
  }
}
