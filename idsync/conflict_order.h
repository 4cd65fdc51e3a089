/* conflict_order.h: the order conflicts are taken in, by ward-idsync
 * conflicts and by the collector's API, which reads ward-idsync's
 * database: where something contradicts, then those to review, the
 * likeliest first (the terms of the index conflicts_order, so that it
 * answers without a sort). */
#ifndef WARD_IDSYNC_CONFLICT_ORDER_H
#define WARD_IDSYNC_CONFLICT_ORDER_H

#define IDSYNC_CONFLICT_ORDER \
	"kind = 'review', best IS NULL, best DESC, id"

#endif
