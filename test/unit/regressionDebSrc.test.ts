import { strict as assert } from 'node:assert';
import { debSrcEntriesFor } from '../../scripts/regression-db';

describe('the deb-src entry for the regression database build', function () {
  it("mirrors every Debian archive of a deb822 file, and nothing else's", function () {
    const text = [
      'Types: deb',
      '# http://snapshot.debian.org/archive/debian/20250520T000000Z',
      'URIs: http://deb.debian.org/debian',
      'Suites: bookworm bookworm-updates',
      'Components: main',
      'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg',
      '',
      'Types: deb',
      'URIs: http://deb.debian.org/debian-security',
      'Suites: bookworm-security',
      'Components: main',
      'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg',
      '',
      'Types: deb',
      'URIs: https://deb.nodesource.com/node_20.x',
      'Suites: nodistro',
      'Components: main',
    ].join('\n');
    assert.deepEqual(debSrcEntriesFor([{ name: 'debian.sources', text }]), [
      'Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: bookworm bookworm-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg',
      'Types: deb-src\nURIs: http://deb.debian.org/debian-security\nSuites: bookworm-security\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg',
    ]);
  });

  it('reads one-line entries, their signed-by option, snapshot mirrors, and skips disabled stanzas', function () {
    const list = [
      'deb [arch=amd64 signed-by=/usr/share/keyrings/debian.gpg] http://snapshot.debian.org/archive/debian/20250520T000000Z bookworm main contrib',
      '# deb http://deb.debian.org/debian bookworm main',
      'deb https://packages.cloud.google.com/apt cloud-sdk-bookworm main',
    ].join('\n');
    const disabled = 'Types: deb\nURIs: http://ftp.de.debian.org/debian/\nSuites: bookworm\nComponents: main\nEnabled: no\n';
    assert.deepEqual(
      debSrcEntriesFor([
        { name: 'sources.list', text: list },
        { name: 'mirror.sources', text: disabled },
      ]),
      ['Types: deb-src\nURIs: http://snapshot.debian.org/archive/debian/20250520T000000Z\nSuites: bookworm\nComponents: main contrib\nSigned-By: /usr/share/keyrings/debian.gpg'],
    );
  });
});
