#!/bin/sh
# okapi-vrrpd notify hook of the VRRP labs: one line per transition in the node's /run/okapi,
# which the tests read. Arguments are keepalived's (TYPE NAME STATE PRIORITY); the rest is
# okapi's environment.
echo "$1 $2 $3 $4 old=$OKAPI_OLD_STATE new=$OKAPI_NEW_STATE vrid=$OKAPI_VRID interface=$OKAPI_INTERFACE reason=$OKAPI_REASON" >> /run/okapi/notify.log
