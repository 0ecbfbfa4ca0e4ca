package pgtest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"

	"github.com/hookstream/hookstream/projections/pglocal"
)

// initdb dominates a fresh server's start (1-2 s idle, several seconds on a busy CI machine) and
// every test binary needs a server. So the first pgtest process on a machine keeps an initialised,
// never-started cluster in os.TempDir()/hookstream-pgcache-<key>, and later ones copy it (about
// 40 MB) instead of running initdb. <key> hashes the initdb binary (path, size, mtime), the
// effective uid and cacheFormat, so another PostgreSQL installation gets another cache. The cache is
// created by an atomic rename, owned by the effective uid and not writable by others; anything
// else is ignored. Every failure falls back to a plain initdb.

// cacheFormat changes when what pglocal.Init writes changes.
const cacheFormat = 1

// seedFromCache fills the absent cluster directory dst from the cache, building the cache first if
// needed. Best effort: on failure dst is left absent and pglocal.Start runs initdb.
func seedFromCache(ctx context.Context, dst string) {
	cache, ok := cachePath()
	if !ok {
		return
	}
	if !validCache(cache) {
		if err := buildCache(ctx, cache); err != nil || !validCache(cache) {
			return
		}
	}
	if err := copyTree(cache, dst); err != nil {
		_ = os.RemoveAll(dst)
	}
}

func cachePath() (string, bool) {
	p, err := exec.LookPath("initdb")
	if err != nil {
		return "", false
	}
	if p, err = filepath.EvalSymlinks(p); err != nil {
		return "", false
	}
	fi, err := os.Stat(p)
	if err != nil {
		return "", false
	}
	key := fmt.Sprintf("%s|%d|%d|%d|%d", p, fi.Size(), fi.ModTime().UnixNano(), os.Geteuid(), cacheFormat)
	sum := sha256.Sum256([]byte(key))
	return filepath.Join(os.TempDir(), "hookstream-pgcache-"+hex.EncodeToString(sum[:8])), true
}

func validCache(cache string) bool {
	fi, err := os.Lstat(cache)
	if err != nil || !fi.IsDir() || fi.Mode().Perm()&0o022 != 0 {
		return false
	}
	if int(fi.Sys().(*syscall.Stat_t).Uid) != os.Geteuid() {
		return false
	}
	_, err = os.Stat(filepath.Join(cache, "PG_VERSION"))
	return err == nil
}

// buildCache initialises a cluster in a pgtest directory (swept if we die) and renames it into
// place. Losing the rename race to another process is fine: its cache is as good.
func buildCache(ctx context.Context, cache string) error {
	dir, err := newDir()
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	cfg := pglocal.Config{Dir: filepath.Join(dir, clusterDir), NoSync: true}
	data, err := pglocal.Init(ctx, cfg)
	if err != nil {
		return err
	}
	if data != cfg.Dir {
		return errors.New("pgtest: cache cluster was relocated")
	}
	// Owned by us, not PostgreSQL's user, so validCache can trust it; pglocal.Start chowns the copy.
	uid, gid := os.Geteuid(), os.Getegid()
	err = filepath.WalkDir(cfg.Dir, func(path string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(path, uid, gid)
	})
	if err != nil {
		return err
	}
	return os.Rename(cfg.Dir, cache)
}

// copyTree copies the directories and regular files under src to the new directory dst.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		fi, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case fi.IsDir():
			return os.Mkdir(target, fi.Mode().Perm())
		case fi.Mode().IsRegular():
			return copyFile(path, target, fi.Mode().Perm())
		default:
			return fmt.Errorf("pgtest: unexpected file in cluster cache: %s", path)
		}
	})
}

func copyFile(src, dst string, perm os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	return errors.Join(err, out.Close())
}
