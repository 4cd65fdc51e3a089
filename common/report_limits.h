/* report_limits.h: how much one report may hold (docs/report.md): the
 * collector refuses more, the agents never send more. */
#ifndef WARD_REPORT_LIMITS_H
#define WARD_REPORT_LIMITS_H

#define REPORT_METRICS_MAX	20000
#define REPORT_CHECKS_MAX	1000
#define REPORT_INTERFACES_MAX	10000
#define REPORT_SOFTWARE_MAX	20000

#endif
