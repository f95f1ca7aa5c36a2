// The in-call panels' own rules (host panel, file list, participant list, chat), loaded with
// them (lazy-panels.ts adopts them into the element's shadow root). Rules the pre-join panel
// shares (.panel, .panel-heading, buttons, focus rings) stay in styles.ts.
import { css } from 'lit';

export const panelStyles = css`
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
  .kick {
    margin-left: auto;
    padding: 0.25em 0.6em;
    font-size: 0.8em;
    background: var(--kibitz-danger, #c13838);
  }
  .people-list,
  .chat-messages {
    margin: 0;
    padding: 0;
    list-style: none;
    display: flex;
    flex-direction: column;
    gap: 4px;
  }
  .person {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 6px;
  }
  .person[part~='speaking'] .person-name {
    text-decoration: underline;
    text-decoration-color: var(--kibitz-speaking, #7ee2a8);
    text-decoration-thickness: 2px;
  }
  .grants {
    flex-basis: 100%;
    display: flex;
    flex-wrap: wrap;
    gap: 4px 10px;
    margin: 0;
    padding: 4px 8px;
    border: 1px solid color-mix(in srgb, var(--kibitz-foreground, #f4f6f8) 25%, transparent);
    border-radius: calc(var(--kibitz-radius, 10px) / 2);
    font-size: 0.85em;
  }
  .grant {
    display: inline-flex;
    align-items: center;
    gap: 4px;
  }
  .chat-log {
    max-height: 18em;
    overflow-y: auto;
  }
  .chat-name {
    font-weight: 600;
  }
  .chat-time {
    margin-left: 6px;
    font-size: 0.85em;
  }
  .chat-text {
    margin: 0;
    white-space: pre-wrap;
    overflow-wrap: anywhere;
  }
  .chat-form {
    display: flex;
    flex-wrap: wrap;
    gap: 6px;
  }
  .chat-form textarea {
    flex: 1 1 12em;
  }
  .hint,
  .chat-error {
    flex-basis: 100%;
    margin: 0;
    font-size: 0.85em;
  }
  .chat-error {
    color: #ffb4a8;
  }
  .files a {
    color: inherit;
  }
  .files a.download {
    padding: 0.3em 0.8em;
    border-radius: var(--kibitz-radius, 10px);
    background: var(--kibitz-accent, #2b63d6);
    text-decoration: none;
  }
`;
