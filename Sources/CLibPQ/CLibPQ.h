#ifndef SOC2BOT_CLIBPQ_H
#define SOC2BOT_CLIBPQ_H
// libpq, PostgreSQL's reference client library (Debian's libpq-dev 15): only the Postgres module uses it.
#include <postgresql/libpq-fe.h>
#endif
