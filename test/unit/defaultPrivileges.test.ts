/**
 * The target's own default privileges around a restore: which of them the
 * set's replace, and the statement that gives the others back.
 */
import { strict as assert } from 'node:assert';
import { defaultPrivilegesReplaced, keepDefaultPrivilegesStatement } from '../../src/core/restore/defaultPrivileges';

describe("the target's own default privileges", () => {
  const saved = [
    { schema: null, kind: 'r', acl: '{reader=r/deployer,deployer=arwdDxt/deployer}' },
    { schema: 'public', kind: 'r', acl: '{reader=a/deployer}' },
    { schema: "it's", kind: 'f', acl: '{reader=X/deployer}' },
  ];

  it("are replaced only where the set brings the same role's for the same schema and kind", () => {
    const entries = [
      { type: 'DEFAULT ACL', schema: 'public', name: 'DEFAULT PRIVILEGES FOR TABLES', owner: 'deployer' },
      { type: 'DEFAULT ACL', schema: '-', name: 'DEFAULT PRIVILEGES FOR FUNCTIONS', owner: 'deployer' },
      { type: 'DEFAULT ACL', schema: '-', name: 'DEFAULT PRIVILEGES FOR TABLES', owner: 'someone_else' },
      { type: 'TABLE', schema: 'public', name: 'machines', owner: 'deployer' },
    ];
    assert.deepEqual(defaultPrivilegesReplaced(saved, entries, 'deployer'), ['in schema public (tables)']);
    assert.deepEqual(defaultPrivilegesReplaced([...saved, { schema: null, kind: 'f', acl: '{}' }], entries, 'deployer'), ['in schema public (tables)', 'everywhere (functions)']);
    assert.deepEqual(defaultPrivilegesReplaced(saved, entries, 'other'), []);
  });

  it('come back in one DO block, quoted, and not at all when there were none', () => {
    assert.equal(keepDefaultPrivilegesStatement([]), '');
    const statement = keepDefaultPrivilegesStatement(saved);
    assert.match(statement, /^DO \$pulse_keep_default_privileges\$\n/);
    assert.match(statement, /\(NULL::text, 'r', '\{reader=r\/deployer,deployer=arwdDxt\/deployer\}'::pg_catalog\.aclitem\[\]\)/);
    assert.match(statement, /\('it''s', 'f', '\{reader=X\/deployer\}'::pg_catalog\.aclitem\[\]\)/);
    assert.match(statement, /END \$pulse_keep_default_privileges\$;$/);
  });
});
