#!/bin/sh
# A second worker image's start script, where Apache's image has it
# (/opt/kafka/bin/connect-distributed.sh): the same environment variables as Kafka's own
# script. This image shares nothing with Sluice's worker image but the JRE: dash instead of
# busybox, coreutils, Apache's layout, no curl, no wget, no Sluice binary. It stands in for
# the images that cannot be pulled here (Apache's Alpine image, Confluent's UBI image) to
# show that what Sluice renders needs nothing from the worker image but a shell and Java.
base_dir=$(dirname "$0")/..
exec java ${KAFKA_HEAP_OPTS:--Xms256m -Xmx1g} \
  ${KAFKA_LOG4J_OPTS:--Dlog4j2.configurationFile=$base_dir/config/connect-log4j2.properties} \
  ${KAFKA_OPTS:-} -cp "$base_dir/libs/*" org.apache.kafka.connect.cli.ConnectDistributed "$@"
