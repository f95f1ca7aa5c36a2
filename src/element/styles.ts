import { css } from 'lit';

export const styles = css`
  :host {
    display: block;
    color: var(--kibitz-foreground, #f4f6f8);
    font-family: var(--kibitz-font, system-ui, sans-serif);
  }
  :host([headless]) {
    display: none;
  }
  [hidden] {
    display: none !important;
  }
  .base {
    display: flex;
    flex-direction: column;
    gap: var(--kibitz-gap, 8px);
    padding: var(--kibitz-gap, 8px);
    background: var(--kibitz-background, #111418);
    border-radius: var(--kibitz-radius, 10px);
  }
  .status {
    font-size: 0.9em;
    opacity: 0.85;
  }
  .grid {
    display: grid;
    grid-template-columns: repeat(auto-fill, minmax(var(--kibitz-tile-min, 220px), 1fr));
    gap: var(--kibitz-gap, 8px);
  }
  .tile {
    position: relative;
    margin: 0;
    aspect-ratio: 4 / 3;
    overflow: hidden;
    background: #000;
    border-radius: var(--kibitz-radius, 10px);
    display: grid;
    place-items: center;
  }
  video {
    width: 100%;
    height: 100%;
    object-fit: cover;
  }
  .avatar {
    font-size: 2.2em;
    font-weight: 600;
    opacity: 0.8;
  }
  .name {
    position: absolute;
    left: 6px;
    bottom: 6px;
    padding: 2px 8px;
    border-radius: calc(var(--kibitz-radius, 10px) / 2);
    background: rgb(0 0 0 / 0.55);
    font-size: 0.85em;
  }
  .muted {
    color: #ffb4a8;
  }
  .notice {
    padding: 2em 1em;
    text-align: center;
    font-size: 1.2em;
  }
  .quiet {
    opacity: 0.7;
  }
  .badge {
    opacity: 0.85;
  }
  .tile.pinned {
    grid-column: 1 / -1;
    order: -1;
  }
  .tile.speaking {
    outline: 3px solid var(--kibitz-speaking, #7ee2a8);
    outline-offset: -3px;
  }
  .tile:fullscreen {
    aspect-ratio: auto;
    border-radius: 0;
  }
  .tile-actions {
    position: absolute;
    top: 6px;
    right: 6px;
    display: flex;
    gap: 4px;
  }
  .tile-actions button {
    padding: 0.25em 0.6em;
    font-size: 0.8em;
    background: rgb(0 0 0 / 0.6);
  }
  .tile-actions button[aria-pressed='true'] {
    background: var(--kibitz-accent, #2b63d6);
  }
  .quality.poor {
    color: #ffb4a8;
  }
  .quality.fair {
    color: #ffe08a;
  }
  .stage {
    display: flex;
    flex-wrap: wrap;
    gap: var(--kibitz-gap, 8px);
    align-items: flex-start;
  }
  .stage > .grid {
    flex: 3 1 var(--kibitz-tile-min, 220px);
  }
  .side {
    flex: 1 1 240px;
    display: flex;
    flex-direction: column;
    gap: var(--kibitz-gap, 8px);
  }
  .panel,
  .prejoin {
    display: flex;
    flex-direction: column;
    gap: 6px;
    padding: var(--kibitz-gap, 8px);
    border: 1px solid color-mix(in srgb, var(--kibitz-foreground, #f4f6f8) 25%, transparent);
    border-radius: var(--kibitz-radius, 10px);
  }
  .panel-heading {
    margin: 0;
    font-size: 1em;
  }
  .unread {
    display: inline-block;
    min-width: 1.4em;
    padding: 0 0.3em;
    border-radius: 1em;
    background: var(--kibitz-danger, #c13838);
    font-size: 0.85em;
    text-align: center;
  }
  .prejoin-fields {
    display: flex;
    flex-wrap: wrap;
    align-items: flex-end;
    gap: var(--kibitz-gap, 8px);
  }
  .preview-box {
    max-width: 320px;
    aspect-ratio: 4 / 3;
    display: grid;
    place-items: center;
    background: #000;
    border-radius: var(--kibitz-radius, 10px);
    overflow: hidden;
  }
  .field {
    display: flex;
    flex-direction: column;
    gap: 2px;
    font-size: 0.9em;
  }
  input,
  select,
  textarea {
    font: inherit;
    color: inherit;
    background: color-mix(in srgb, var(--kibitz-foreground, #f4f6f8) 8%, var(--kibitz-background, #111418));
    border: 1px solid color-mix(in srgb, var(--kibitz-foreground, #f4f6f8) 40%, transparent);
    border-radius: calc(var(--kibitz-radius, 10px) / 2);
    padding: 0.35em 0.5em;
  }
  progress {
    width: 8em;
  }
  .sr-only {
    position: absolute;
    width: 1px;
    height: 1px;
    overflow: hidden;
    clip: rect(0 0 0 0);
    white-space: nowrap;
  }
  .verify {
    position: absolute;
    top: 6px;
    left: 6px;
    padding: 0.25em 0.6em;
    font-size: 0.8em;
  }
  .safety {
    position: absolute;
    inset: 40px 6px auto;
    padding: 8px;
    border-radius: calc(var(--kibitz-radius, 10px) / 2);
    background: rgb(0 0 0 / 0.85);
    font-size: 0.85em;
    text-align: center;
  }
  .safety p {
    margin: 0 0 6px;
  }
  .safety .code {
    font-size: 1.5em;
    font-variant-numeric: tabular-nums;
    letter-spacing: 0.05em;
  }
  .trust.verified {
    color: #7ee2a8;
  }
  .trust.changed,
  .trust.alarm {
    color: #ffb4a8;
    font-weight: 600;
  }
  .controls {
    display: flex;
    flex-wrap: wrap;
    gap: var(--kibitz-gap, 8px);
  }
  button {
    font: inherit;
    color: inherit;
    background: var(--kibitz-accent, #2b63d6);
    border: 0;
    border-radius: var(--kibitz-radius, 10px);
    padding: 0.5em 1em;
    cursor: pointer;
  }
  button[aria-pressed='false'] {
    background: color-mix(in srgb, var(--kibitz-accent, #2b63d6) 35%, transparent);
  }
  button.leave {
    background: var(--kibitz-danger, #c13838);
  }
  button:disabled {
    opacity: 0.45;
    cursor: default;
  }
  button:focus-visible,
  .files a:focus-visible,
  input:focus-visible,
  select:focus-visible,
  textarea:focus-visible,
  .chat-log:focus-visible {
    outline: 3px solid var(--kibitz-accent, #2b63d6);
    outline-offset: 2px;
  }
`;
