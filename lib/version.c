// SPDX-License-Identifier: Apache-2.0
/* The one VersionInfo builder (version.h): /version and GET_VERSION, master and agent. */
#include "version.h"

json_t *version_info_json(void)
{
	return json_pack("{s:s,s:s}", "version", DROVER_VERSION, "git_sha", DROVER_GIT_REV);
}
