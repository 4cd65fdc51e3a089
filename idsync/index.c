/* index.c: a string-keyed hash index of integer lists: nickname groups,
 * blocking keys, identifier values and account keys all map a string to
 * the things that carry it. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/xmalloc.h"
#include "idsync/idsync.h"

struct index_slot {
	char	*key;		/* NULL: empty */
	uint64_t hash;
	size_t	*values;
	size_t	 count;
	size_t	 alloc;
};

/*
 * Keys and value lists live in chunks the index frees together: an index
 * of a few hundred thousand keys was that many pairs of allocations, and
 * freeing them took longer than a run that finds nothing changed spends
 * on anything but reading. A list that grows moves to a room twice its
 * size and leaves the old one (what it held stays readable until the
 * index is freed).
 */
struct index_chunk {
	struct index_chunk *next;
	size_t		 size;
	size_t		 used;
	max_align_t	 data[];
};

#define INDEX_CHUNK	(64 * 1024)

struct index {
	struct index_slot *slots;
	size_t		 size;		/* a power of two */
	size_t		 used;
	struct index_chunk *chunks;	/* the newest first */
	/* Split: the parts hold the keys, by their hashes' high bits. */
	struct index	**parts;
	size_t		 nparts;
};

/* FNV-1a: short keys, no adversary to fear (they come from our config and
 * the directories an administrator points us at). */
static uint64_t
index_hash(const char *key)
{
	uint64_t	 h = 14695981039346656037ULL;

	for (; *key != '\0'; key++) {
		h ^= (unsigned char)*key;
		h *= 1099511628211ULL;
	}
	return h;
}

struct index *
index_new(void)
{
	struct index	*ix;

	ix = xcalloc(1, sizeof *ix);
	ix->size = 64;
	ix->slots = xcalloc(ix->size, sizeof *ix->slots);
	return ix;
}

struct index *
index_new_split(size_t nparts)
{
	struct index	*ix = index_new();
	size_t		 i;

	ix->parts = xcalloc(nparts, sizeof *ix->parts);
	ix->nparts = nparts;
	for (i = 0; i < nparts; i++)
		ix->parts[i] = index_new();
	return ix;
}

/* The part of split index ix that holds keys of hash h. */
static size_t
index_part(const struct index *ix, uint64_t h)
{
	return (size_t)((h >> 40) % ix->nparts);
}

/* Where keys of hash h live: ix, or its part for them. */
static struct index *
index_home(struct index *ix, uint64_t h)
{
	return ix->nparts > 0 ? ix->parts[index_part(ix, h)] : ix;
}

/* size bytes of room from ix's chunks, aligned for any type. */
static void *
index_room(struct index *ix, size_t size)
{
	struct index_chunk	*c = ix->chunks;
	size_t			 need, csize;
	void			*p;

	need = (size + sizeof(max_align_t) - 1) / sizeof(max_align_t);
	if (c == NULL || c->size - c->used < need) {
		csize = INDEX_CHUNK / sizeof(max_align_t);
		if (need > csize / 4)
			csize = need;
		c = xmalloc(sizeof *c + csize * sizeof(max_align_t));
		c->size = csize;
		c->used = 0;
		/* A chunk of one big list goes behind the one being
		 * filled, which keeps its room. */
		if (ix->chunks != NULL && csize == need) {
			c->next = ix->chunks->next;
			ix->chunks->next = c;
		} else {
			c->next = ix->chunks;
			ix->chunks = c;
		}
	}
	p = &c->data[c->used];
	c->used += need;
	return p;
}

void
index_free(struct index *ix)
{
	struct index_chunk	*c, *next;
	size_t			 i;

	if (ix == NULL)
		return;
	for (i = 0; i < ix->nparts; i++)
		index_free(ix->parts[i]);
	free(ix->parts);
	for (c = ix->chunks; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	free(ix->slots);
	free(ix);
}

static struct index_slot *
index_find(const struct index *ix, const char *key, uint64_t h)
{
	size_t	 i = (size_t)h & (ix->size - 1);

	while (ix->slots[i].key != NULL) {
		if (ix->slots[i].hash == h && strcmp(ix->slots[i].key, key) == 0)
			return &ix->slots[i];
		i = (i + 1) & (ix->size - 1);
	}
	return &ix->slots[i];
}

static void
index_grow(struct index *ix)
{
	struct index_slot	*old = ix->slots, *s;
	size_t			 oldsize = ix->size, i;

	ix->size *= 2;
	ix->slots = xcalloc(ix->size, sizeof *ix->slots);
	for (i = 0; i < oldsize; i++) {
		if (old[i].key == NULL)
			continue;
		s = index_find(ix, old[i].key, old[i].hash);
		*s = old[i];
	}
	free(old);
}

/* key's slot (h: its hash) in ix, not split, made if it is new. */
static struct index_slot *
index_slot(struct index *ix, const char *key, uint64_t h)
{
	struct index_slot	*s;
	size_t			 len;

	if ((ix->used + 1) * 4 > ix->size * 3)
		index_grow(ix);
	s = index_find(ix, key, h);
	if (s->key == NULL) {
		len = strlen(key) + 1;
		s->key = memcpy(index_room(ix, len), key, len);
		s->hash = h;
		ix->used++;
	}
	return s;
}

static void
index_slot_add(struct index *ix, struct index_slot *s, size_t value)
{
	size_t	*values;

	if (s->count == s->alloc) {
		s->alloc = s->alloc == 0 ? 1 : s->alloc * 2;
		if (s->alloc > SIZE_MAX / sizeof *values)
			fatalx("index: a list of %zu values", s->count);
		values = index_room(ix, s->alloc * sizeof *values);
		if (s->count > 0)
			memcpy(values, s->values, s->count * sizeof *values);
		s->values = values;
	}
	s->values[s->count++] = value;
}

void
index_add(struct index *ix, const char *key, size_t value)
{
	uint64_t	 h = index_hash(key);

	ix = index_home(ix, h);
	index_slot_add(ix, index_slot(ix, key, h), value);
}

/* Adds value unless the key already lists it last (keys are added in
 * value order, so that is enough to keep lists free of repeats). */
void
index_add_once(struct index *ix, const char *key, size_t value)
{
	index_add_once_part(ix, INDEX_ANY_PART, key, value);
}

void
index_add_once_part(struct index *ix, size_t part, const char *key,
    size_t value)
{
	struct index_slot	*s;
	uint64_t		 h = index_hash(key);

	if (ix->nparts > 0 && part != INDEX_ANY_PART &&
	    part != index_part(ix, h))
		return;
	ix = index_home(ix, h);
	s = index_slot(ix, key, h);
	if (s->count == 0 || s->values[s->count - 1] != value)
		index_slot_add(ix, s, value);
}

const size_t *
index_get(const struct index *ix, const char *key, size_t *count)
{
	const struct index_slot	*s;
	uint64_t		 h = index_hash(key);

	s = index_find(ix->nparts > 0 ? ix->parts[index_part(ix, h)] : ix,
	    key, h);
	if (s->key == NULL) {
		*count = 0;
		return NULL;
	}
	*count = s->count;
	return s->values;
}

size_t
index_keys(const struct index *ix)
{
	size_t	 i, n = ix->used;

	for (i = 0; i < ix->nparts; i++)
		n += index_keys(ix->parts[i]);
	return n;
}

/* Calls fn for every key in no particular order. */
void
index_foreach(const struct index *ix, void (*fn)(const char *key,
    const size_t *values, size_t count, void *arg), void *arg)
{
	size_t	 i;

	for (i = 0; i < ix->nparts; i++)
		index_foreach(ix->parts[i], fn, arg);
	for (i = 0; i < ix->size; i++)
		if (ix->slots[i].key != NULL)
			fn(ix->slots[i].key, ix->slots[i].values,
			    ix->slots[i].count, arg);
}
