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
    color: var(--kibitz-danger, #d64545);
  }
  .notice {
    padding: 2em 1em;
    text-align: center;
    font-size: 1.2em;
  }
  .host-menu {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: var(--kibitz-gap, 8px);
    padding: var(--kibitz-gap, 8px);
    border: 1px solid color-mix(in srgb, var(--kibitz-foreground, #f4f6f8) 25%, transparent);
    border-radius: var(--kibitz-radius, 10px);
  }
  .knocks,
  .files ul {
    display: flex;
    flex-wrap: wrap;
    gap: var(--kibitz-gap, 8px);
    margin: 0;
    padding: 0;
    list-style: none;
  }
  .knocks li,
  .files li {
    display: flex;
    align-items: center;
    gap: 6px;
  }
  .quiet {
    opacity: 0.7;
  }
  .badge {
    opacity: 0.85;
  }
  .kick {
    position: absolute;
    top: 6px;
    right: 6px;
    padding: 0.25em 0.6em;
    font-size: 0.8em;
    background: var(--kibitz-danger, #d64545);
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
    background: var(--kibitz-accent, #3d7cf5);
    border: 0;
    border-radius: var(--kibitz-radius, 10px);
    padding: 0.5em 1em;
    cursor: pointer;
  }
  button[aria-pressed='false'] {
    background: color-mix(in srgb, var(--kibitz-accent, #3d7cf5) 35%, transparent);
  }
  button.leave {
    background: var(--kibitz-danger, #d64545);
  }
  button:disabled {
    opacity: 0.45;
    cursor: default;
  }
  .files a {
    color: inherit;
  }
  button:focus-visible,
  .files a:focus-visible {
    outline: 3px solid var(--kibitz-accent, #3d7cf5);
    outline-offset: 2px;
  }
`;
