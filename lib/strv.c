// SPDX-License-Identifier: Apache-2.0
#include <stdlib.h>

#include "strv.h"

void strv_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}
