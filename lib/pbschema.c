// SPDX-License-Identifier: Apache-2.0
/* The top-level message types of the schema, by full name (pbschema.h). */
#include <string.h>

#include "mesos/v1/agent/agent.pb-c.h"
#include "mesos/v1/executor/executor.pb-c.h"
#include "mesos/v1/master/master.pb-c.h"
#include "mesos/v1/mesos.pb-c.h"
#include "mesos/v1/scheduler/scheduler.pb-c.h"
#include "pbschema.h"
#include "util.h"

static const ProtobufCMessageDescriptor *const types[] = {
	&mesos__v1__scheduler__call__descriptor,
	&mesos__v1__scheduler__event__descriptor,
	&mesos__v1__scheduler__response__descriptor,
	&mesos__v1__master__call__descriptor,
	&mesos__v1__master__response__descriptor,
	&mesos__v1__master__event__descriptor,
	&mesos__v1__agent__call__descriptor,
	&mesos__v1__agent__response__descriptor,
	&mesos__v1__executor__call__descriptor,
	&mesos__v1__executor__event__descriptor,
	&mesos__v1__master_info__descriptor,
	&mesos__v1__task_status__descriptor,
	&mesos__v1__framework_info__descriptor,
	&mesos__v1__offer__descriptor,
	&mesos__v1__resource__descriptor,
};

const ProtobufCMessageDescriptor *pbschema_find(const char *full_name)
{
	for (size_t i = 0; i < ARRAY_SIZE(types); i++)
		if (strcmp(types[i]->name, full_name) == 0)
			return types[i];
	return NULL;
}
