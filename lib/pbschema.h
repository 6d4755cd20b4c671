/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The message types of Drover's Mesos v1 schema (proto/) that cross an API on their own,
 * by full protobuf name, for the codec (lib/pbjson.h) and its tests and tools.
 */
#ifndef DROVER_PBSCHEMA_H
#define DROVER_PBSCHEMA_H

#include <protobuf-c/protobuf-c.h>

/* "mesos.v1.scheduler.Call" -> its descriptor, or NULL when not in the table. */
const ProtobufCMessageDescriptor *pbschema_find(const char *full_name);

#endif
