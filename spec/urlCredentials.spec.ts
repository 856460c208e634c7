import { withoutPassword } from '../src/urlCredentials';

describe('withoutPassword', () => {
  it.each([
    ['postgres://root:pw123@127.0.0.1:5432/test', 'postgres://root:***@127.0.0.1:5432/test'],
    ['postgres://root:p#ss9@127.0.0.1:5432/nodb?schema=x', 'postgres://root:***@127.0.0.1:5432/nodb?schema=x'],
    ['postgres://root:ab/c?d@127.0.0.1:notaport/x', 'postgres://root:***@127.0.0.1:notaport/x'],
    ['http://u:p@ss@host/', 'http://u:***@host/'],
    ['redis://:secret@host:6379', 'redis://:***@host:6379'],
    // mistyped: one slash, none, three, or the colon of the scheme missing
    ['redis:/:secret@127.0.0.1:6313', 'redis:/:***@127.0.0.1:6313'],
    ['http:/bob:secret@127.0.0.1:9091', 'http:/bob:***@127.0.0.1:9091'],
    ['http:bob:secret@gw', 'http:***@gw'],
    ['redis:p:w@host', 'redis:***@host'],
    ['redis:///:secret@host', 'redis:///:***@host'],
    ['redis:secret@host', 'redis:***@host'],
    ['postgres//u:secret@127.0.0.1:5432/test', 'postgres//u:***@127.0.0.1:5432/test'],
    ['jdbc:postgresql://u:secret@db/x', 'jdbc:postgresql://u:***@db/x'],
    ['a:b redis://u:secret@h', 'a:b redis://u:***@h'],
    ['url: postgres:secret@h', 'url:***@h'],
    // a password holding `//` (base64), after a mistyped scheme: none of it shown
    ['postgresql:/tok//en@h/db', 'postgresql:/***@h/db'],
    ['postgres:///pa//ss@h/db', 'postgres:///***@h/db'],
    ['redis:pass//word@host', 'redis:***@host'],
    ['redis:u://x:y@h', 'redis:***@h'],
    ['postgres：／／u://s3:cret@h', 'postgres://u:***@h'],
    ['“postgres://u://s3cret@h', '“postgres://u:***@h'],
    ['“postgres://u:secret@db/x”', '“postgres://u:***@db/x”'],
    ['postgres:://u:secret@db/x', 'postgres:://u:***@db/x'],
    ['postgres：／／u:secret@db/x', 'postgres://u:***@db/x'],
    // an `@` typed full-width is one to a reader
    ['http://u:secret＠gw:9091/', 'http://u:***@gw:9091/'],
    ['postgres://u:secret﹫h/db', 'postgres://u:***@h/db'],
  ])('should hide the password of %j', (text, shown) => expect(withoutPassword(text)).toBe(shown));

  it.each(['postgres://root@db/x', 'http://host/path?mail=a@b', 'not a url', '/var/run/postgresql'])(
    'should leave %j, which has no password, as it is',
    (text) => expect(withoutPassword(text)).toBe(text),
  );
});
