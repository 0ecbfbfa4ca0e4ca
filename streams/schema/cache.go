package schema

import (
	"fmt"
	"strconv"
	"sync"
)

// Key is the cache key of an event type version: "tenant:name:version", with
// an empty tenant for core types.
func Key(tenantID, name string, version int) string {
	return tenantID + ":" + name + ":" + strconv.Itoa(version)
}

// Cache holds compiled validators by Key. Versions are immutable, so entries
// never go stale; Delete exists for deleted tenants and types. The zero value
// is not usable: call NewCache. A Cache is safe for concurrent use.
type Cache struct {
	mu      sync.Mutex
	entries map[string]*cacheEntry
}

type cacheEntry struct {
	done chan struct{} // closed when v and err are set
	v    *Validator
	err  error
}

// NewCache returns an empty cache.
func NewCache() *Cache {
	return &Cache{entries: make(map[string]*cacheEntry)}
}

// Get returns the validator cached under key, or calls build once to make it
// while concurrent callers for the same key wait for that call. A build error
// is returned to every waiter but not cached: the next Get builds again.
func (c *Cache) Get(key string, build func() (*Validator, error)) (*Validator, error) {
	c.mu.Lock()
	if e, ok := c.entries[key]; ok {
		c.mu.Unlock()
		<-e.done
		return e.v, e.err
	}
	e := &cacheEntry{done: make(chan struct{})}
	c.entries[key] = e
	c.mu.Unlock()

	func() {
		defer close(e.done)
		defer func() {
			if r := recover(); r != nil {
				e.err = fmt.Errorf("build %s: panic: %v", key, r)
				c.forget(key, e)
				panic(r)
			}
		}()
		e.v, e.err = build()
	}()
	if e.err != nil {
		c.forget(key, e)
		return nil, e.err
	}
	return e.v, nil
}

func (c *Cache) forget(key string, e *cacheEntry) {
	c.mu.Lock()
	if c.entries[key] == e {
		delete(c.entries, key)
	}
	c.mu.Unlock()
}

// Delete drops key from the cache.
func (c *Cache) Delete(key string) {
	c.mu.Lock()
	delete(c.entries, key)
	c.mu.Unlock()
}

// Len returns the number of cached (or building) entries.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}
