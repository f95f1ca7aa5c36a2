// React 19 renders <kibitz-room> as it is: a prop the element has as a property (room, name,
// signaling, autojoin, …) is set as that property, and a function prop named `on` + the event's
// exact name (`onkibitz-join`) is added with addEventListener('kibitz-join'). No wrapper, no ref.
import { useState } from 'react';
import 'kibitz/define.js';

// The room, your name and the broker come from the page's query string, so two tabs can meet in
// one room: `?room=standup&name=Ada`. Without `signaling`, tabs of this browser meet with no
// server at all (`local`); `signaling=ws://localhost:8080/` uses the broker `npm start` runs.
const params = new URLSearchParams(location.search);
const room = params.get('room') || 'kibitz-react-example';
const name = params.get('name') || `Guest ${Math.floor(Math.random() * 900 + 100)}`;
const signaling = params.get('signaling') || 'local';
const media = params.get('media') ?? 'audio video';

export function App() {
  const [people, setPeople] = useState([]);
  const [state, setState] = useState('idle');

  const onJoin = (event) => {
    const { peer } = event.detail;
    setPeople((list) => [...list.filter((p) => p.id !== peer.id), { id: peer.id, name: peer.name, self: peer.self }]);
  };
  const onLeave = (event) => setPeople((list) => list.filter((p) => p.id !== event.detail.peer.id));

  return (
    <main>
      <h1>Kibitz in React</h1>
      <p>
        Room <b>{room}</b> as <b>{name}</b>: <span className="state">{state}</span>
      </p>
      <kibitz-room
        room={room}
        name={name}
        signaling={signaling}
        media={media}
        autojoin
        onkibitz-join={onJoin}
        onkibitz-leave={onLeave}
        onkibitz-state={(event) => setState(event.detail.state)}
      />
      <h2>In the call</h2>
      <ul className="people">
        {people.map((p) => (
          <li key={p.id}>
            {p.name}
            {p.self ? ' (you)' : ''}
          </li>
        ))}
      </ul>
    </main>
  );
}
