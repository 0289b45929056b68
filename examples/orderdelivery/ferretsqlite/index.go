package ferretsqlite

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"

	// The pure-Go SQLite driver FerretDB itself uses.
	_ "modernc.org/sqlite"
)

// IndexIDs indexes, in the SQLite files FerretDB keeps in dir, the _id
// expression of database.collection. The collection must exist.
func IndexIDs(ctx context.Context, dir, database, collection string) error {
	path := filepath.Join(dir, database+".sqlite")
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return fmt.Errorf("ferretsqlite: open %s: %w", path, err)
	}
	defer db.Close()
	var table string
	err = db.QueryRowContext(ctx, `SELECT table_name FROM _ferretdb_collections WHERE name = ?`, collection).Scan(&table)
	if err != nil {
		return fmt.Errorf("ferretsqlite: collection %s.%s: %w", database, collection, err)
	}
	q := fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %q ON %q (_ferretdb_sjson->'$._id')`, table+"_tempest_id_expr", table)
	if _, err := db.ExecContext(ctx, q); err != nil {
		return fmt.Errorf("ferretsqlite: index %s: %w", table, err)
	}
	return nil
}
