// `<video ${srcObject(stream)}>`: binds a stream to a media element only when it changed. A
// plain `.srcObject=${stream}` binding sets it on every render (lit commits object values each
// time), and each set reloads the element: the picture goes blank until its next frame.
import { nothing } from 'lit';
import { Directive, directive, PartType, type ElementPart, type PartInfo } from 'lit/directive.js';

class SrcObjectDirective extends Directive {
  constructor(part: PartInfo) {
    super(part);
    if (part.type !== PartType.ELEMENT) throw new Error('srcObject() belongs on a media element');
  }

  render(_stream: MediaStream | null) {
    return nothing;
  }

  override update(part: ElementPart, [stream]: [MediaStream | null]) {
    const media = part.element as HTMLMediaElement;
    if (media.srcObject !== stream) media.srcObject = stream;
    return nothing;
  }
}

export const srcObject = directive(SrcObjectDirective);
