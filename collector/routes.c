/* routes.c: the collector's HTTP routes; a new route is its own file and one
 * line here. */
#include "config.h"

#include <stddef.h>

#include "collector/collector.h"

const struct route_entry *const route_table[] = {
	&route_healthz,
	&route_reports_post,
	&route_datacentres,
	&route_hosts,
	&route_host,
	&route_host_metric,
	&route_host_software,
	&route_search,
	&route_metrics,
	&route_alerts,
	&route_alert,
	&route_alert_ack,
	&route_datacentre_health,
	&route_maintenance,
	&route_maintenance_post,
	&route_maintenance_delete,
	&route_eol_summary,
	&route_eol_assets,
	&route_eol_forecast,
	&route_identity_summary,
	&route_persons,
	&route_person,
	&route_identity_conflicts,
	NULL
};
