package devserver

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"go.temporal.io/server/common/config"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	sqliteschema "go.temporal.io/server/schema/sqlite"
	"google.golang.org/protobuf/types/known/durationpb"
)

// sqlConfig returns the SQLite persistence config for cfg. An in-memory
// database gets a random name so several servers can share a process.
func sqlConfig(cfg Config) *config.SQL {
	if cfg.DBPath == "" {
		return &config.SQL{
			PluginName:        sqliteplugin.PluginName,
			DatabaseName:      "tempest-" + rand.Text(),
			ConnectAttributes: map[string]string{"mode": "memory", "cache": "shared"},
		}
	}
	return &config.SQL{
		PluginName:        sqliteplugin.PluginName,
		DatabaseName:      cfg.DBPath,
		ConnectAttributes: map[string]string{"mode": "rwc"},
	}
}

// preparePersistence makes sure the database has its schema (file mode:
// only when the file is new) and that every namespace exists, registering
// cfg.SearchAttributes on namespaces it creates. Existing namespaces are left
// as they are; their search attributes are reconciled once the server runs.
func preparePersistence(cfg Config, sqlConf *config.SQL, clusterName string) error {
	if cfg.DBPath != "" {
		if err := ensureSchemaFile(sqlConf); err != nil {
			return err
		}
	}
	namespaces := make([]*sqliteschema.NamespaceConfig, 0, len(cfg.Namespaces))
	for _, ns := range cfg.Namespaces {
		nsConf, err := sqliteschema.NewNamespaceConfig(clusterName, ns, false, cfg.SearchAttributes)
		if err != nil {
			return fmt.Errorf("devserver: namespace %q: %w", ns, err)
		}
		nsConf.Detail.Config.Retention = durationpb.New(cfg.Retention)
		namespaces = append(namespaces, nsConf)
	}
	if err := sqliteschema.CreateNamespaces(sqlConf, namespaces...); err != nil {
		return fmt.Errorf("devserver: create namespaces: %w", err)
	}
	return nil
}

// ensureSchemaFile creates the database file with the Temporal schema when
// it does not exist or is empty. The schema is written to a temporary file
// in the same directory and renamed into place, so a crash mid-setup never
// leaves a half-initialised database behind. (The SQLite plugin's
// connection pool never closes connections, so the set-up connection stays
// idle for the life of the process; that happens once per new file.)
func ensureSchemaFile(sqlConf *config.SQL) error {
	path := sqlConf.DatabaseName
	info, err := os.Stat(path)
	switch {
	case err == nil && info.Size() > 0:
		return nil
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("devserver: database file: %w", err)
	}
	if _, err := os.Stat(filepath.Dir(path)); err != nil {
		return fmt.Errorf("devserver: database directory: %w", err)
	}
	tmpPath := path + ".init-" + rand.Text()
	tmpConf := *sqlConf
	tmpConf.DatabaseName = tmpPath
	tmpConf.ConnectAttributes = map[string]string{"mode": "rwc"}
	if err := sqliteschema.SetupSchema(&tmpConf); err != nil {
		_ = os.Remove(tmpPath)
		return fmt.Errorf("devserver: set up schema in %s: %w", tmpPath, err)
	}
	if err := os.Rename(tmpPath, path); err != nil {
		_ = os.Remove(tmpPath)
		return fmt.Errorf("devserver: move new database into place: %w", err)
	}
	return nil
}
