// The shims are static inline functions in include/CCurl.h; this file gives the target a source.
#include "CCurl.h"
