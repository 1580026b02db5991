/* cpr_error.c - the error domain (see cpr_error.h). */
#include "cpr_error.h"

G_DEFINE_QUARK(cpr-intake-error-quark, cpr_error)
