#!/bin/sh
# Everything keel.ssm.ufw could change on a host, without packet counters: compared
# before and after the check-mode run (test tool of the molecule scenario `ufw`).
echo "## packages"
dpkg-query -W -f '${Package} ${Version} ${db:Status-Abbrev}\n' | sort
for tool in iptables ip6tables; do
  echo "## $tool"
  "$tool-save" 2>/dev/null | sed -E '/^#/d; s/ \[[0-9]+:[0-9]+\]$//'
done
echo "## files"
find /etc/ufw /etc/default/ufw -type f 2>/dev/null | sort | xargs -r sha256sum
echo "## units"
systemctl is-enabled ufw.service 2>&1
systemctl is-active ufw.service 2>&1
exit 0
