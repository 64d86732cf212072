#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/error.h"
#include "tend/util/quote.h"
#include "tend/modkit/facts_script.h"

#include <fcntl.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

/*
 * The facts script: POSIX sh and the system's own tools, one round trip.
 * It prints KEY=VALUE lines (facts.c takes only the keys it knows, so a
 * value holding a newline cannot make up facts of its own); environment
 * values with `\` and newlines escaped; local facts between lines that
 * start with a boundary of random hex made for this run, which a fact's
 * text cannot guess.
 */

static const char sh_platform[] =
	"n=$(uname -n); p \"nodename=$n\"\n"
	/* Python's socket.getfqdn: the name's address, that address's names */
	"a=$(getent ahosts \"$n\" 2>/dev/null | awk 'NR == 1 { print $1 }')\n"
	"f=; [ -z \"$a\" ] || f=$(getent hosts \"$a\" 2>/dev/null | awk "
	"'NR == 1 { for (i = 2; i <= NF; i++) if (index($i, \".\")) "
	"{ print $i; exit } print $2 }')\n"
	"p \"fqdn=${f:-$n}\"\n"
	"p \"system=$(uname -s)\"; p \"kernel=$(uname -r)\"\n"
	"p \"kernel_version=$(uname -v)\"; p \"machine=$(uname -m)\"\n";

static const char sh_distribution[] =
	"for f in /etc/os-release /usr/lib/os-release; do\n"
	"  if [ -r \"$f\" ]; then sed -n 's/^\\(ID\\|ID_LIKE\\|NAME\\|"
	"VERSION_ID\\|VERSION_CODENAME\\)=/os_\\1=/p' \"$f\"; break; fi\n"
	"done\n"
	"[ -r /etc/debian_version ] && "
	"p \"debian_version=$(head -n 1 /etc/debian_version)\"\n"
	/*
	 * Ansible's distribution file: /etc/os-release of the Debian family
	 * where no file it looks at first is there (distribution.py's
	 * OSDIST_LIST) and no name it looks for first is in it
	 */
	"d=1; for f in /etc/altlinux-release /etc/oracle-release "
	"/etc/slackware-version /etc/centos-release /etc/redhat-release "
	"/etc/vmware-release /etc/openwrt_release /etc/system-release "
	"/etc/alpine-release /etc/arch-release /etc/SuSE-release "
	"/etc/gentoo-release; do [ -e \"$f\" ] && d=0; done\n"
	"[ $d = 1 ] && [ -r /etc/os-release ] && "
	"! grep -qi suse /etc/os-release && "
	"! grep -q -e Amazon -e 'Arch Linux' /etc/os-release && "
	"grep -q -e Debian -e Raspbian -e Ubuntu -e SteamOS -e Kali -e Parrot "
	"-e Devuan -e Cumulus -e Mint -e UOS -e Uos -e uos -e Deepin -e deepin "
	"/etc/os-release && p distfile_debian=1\n"
	"for d in /usr/lib/python3/dist-packages /usr/local/lib/python3*/dist-packages; do\n"
	"  [ -e \"$d/distro/__init__.py\" ] && { p pydistro=1; break; }\n"
	"done\n";

/* Ansible's ServiceMgrFactCollector: PID 1's name, else what is there */
static const char sh_service_mgr[] =
	"p=$(cat /proc/1/comm 2>/dev/null) && p \"sm_proc1=$p\"\n"
	"[ -L /sbin/init ] && p \"sm_init_link=$(readlink /sbin/init)\"\n"
	"if command -v systemctl >/dev/null 2>&1 || "
	"[ -x /usr/sbin/systemctl ] || [ -x /sbin/systemctl ]; then\n"
	"  for c in /run/systemd/system/ /dev/.run/systemd/ /dev/.systemd/; do\n"
	"    [ -e \"$c\" ] && { echo sm_systemd=1; break; }; done\n"
	"fi\n"
	"command -v initctl >/dev/null 2>&1 && [ -e /etc/init/ ] && "
	"echo sm_upstart=1\n"
	"[ -e /sbin/openrc ] && echo sm_openrc=1\n"
	"[ -e /etc/init.d/ ] && echo sm_initd=1\n";

/* Ansible's PKG_MGRS for Linux, in its order: the last one found wins */
static const char sh_pkg_mgr[] =
	"for p in /usr/bin/rpm-ostree:atomic_container /usr/bin/yum:yum "
	"/usr/bin/dnf:dnf /usr/bin/apt-get:apt /usr/bin/zypper:zypper "
	"/usr/sbin/urpmi:urpmi /usr/bin/pacman:pacman /bin/opkg:opkg "
	"/usr/pkg/bin/pkgin:pkgin /opt/local/bin/pkgin:pkgin "
	"/opt/tools/bin/pkgin:pkgin /opt/local/bin/port:macports "
	"/usr/local/bin/brew:homebrew /opt/homebrew/bin/brew:homebrew "
	"/sbin/apk:apk /usr/sbin/pkg:pkgng /usr/sbin/swlist:swdepot "
	"/usr/bin/emerge:portage /usr/sbin/pkgadd:svr4pkg /usr/bin/pkg:pkg5 "
	"/usr/bin/xbps-install:xbps /usr/local/sbin/pkg:pkgng "
	"/usr/bin/swupd:swupd /usr/sbin/sorcery:sorcery; do\n"
	"  [ -e \"${p%:*}\" ] && m=${p#*:}\n"
	"done\n"
	"p \"pkg_mgr=${m:-unknown}\"\n";

/* the interpreter Ansible's discovery finds first; only its version */
static const char sh_python[] =
	"for p in /usr/bin/python3 /usr/libexec/platform-python "
	"/usr/bin/python; do\n"
	"  [ -x \"$p\" ] && break; p=; done\n"
	"[ -n \"$p\" ] || p=$(command -v python3 || command -v python) || p=\n"
	"if [ -n \"$p\" ]; then p \"py_exe=$p\"; "
	"p \"py_version=$(\"$p\" -V 2>&1)\"; fi\n";

static const char sh_user[] =
	"u=${LOGNAME:-${USER:-${LNAME:-${USERNAME:-$(id -un)}}}}\n"
	"p \"user_id=$u\"; p \"real_user_id=$(id -ru)\"; "
	"p \"effective_user_id=$(id -u)\"\n"
	"p \"real_group_id=$(id -rg)\"; p \"effective_group_id=$(id -g)\"\n"
	"getent passwd \"$u\" 2>/dev/null | head -n 1 | "
	"{ IFS=: read -r a b c d e f g; p \"pw_uid=$c\"; "
	"p \"pw_gid=$d\"; p \"pw_gecos=$e\"; p \"pw_dir=$f\"; "
	"p \"pw_shell=$g\"; }\n";

static const char sh_env[] =
	"awk 'BEGIN { for (k in ENVIRON) { v = ENVIRON[k]; "
	"gsub(/\\\\/, \"\\\\\\\\\", v); gsub(/\\n/, \"\\\\n\", v); "
	"print \"env:\" k \"=\" v } }'\n";

/*
 * One `date` for local time, one for UTC; the zone's names in January
 * and July for tz_dst (Python's time.tzname[1]).
 */
static const char sh_date_time[] =
	"p \"dt=$(LC_ALL=C date '+%Y %m %d %H %M %S %A %w %W %Z %z %s %N')\"\n"
	"p \"dtu=$(date -u -d \"@$(date +%s)\" '+%Y-%m-%dT%H:%M:%S' "
	"2>/dev/null || date -u '+%Y-%m-%dT%H:%M:%S')\"\n"
	"y=$(date +%Y)\n"
	"p \"dtjan=$(date -d \"$y-01-01 12:00\" '+%Z %z' 2>/dev/null)\"\n"
	"p \"dtjul=$(date -d \"$y-07-01 12:00\" '+%Z %z' 2>/dev/null)\"\n";

static const char sh_hardware[] =
	"sed -n 's/^\\(MemTotal\\|MemFree\\|SwapTotal\\|SwapFree\\):"
	"[[:space:]]*\\([0-9]*\\).*/mem_\\1=\\2/p' /proc/meminfo 2>/dev/null\n"
	"awk -F: '/^processor[[:space:]]*:/ { n++ } "
	"/^physical id/ { s[$2] = 1 } "
	"/^cpu cores/ { c = $2 + 0 } /^siblings/ { t = $2 + 0 } "
	"END { k = 0; for (i in s) k++; "
	"print \"cpu_n=\" n + 0; print \"cpu_sockets=\" k; "
	"print \"cpu_cores=\" c; print \"cpu_siblings=\" t }' "
	"/proc/cpuinfo 2>/dev/null\n";

/*
 * Interfaces from /sys/class/net; addresses and the default route from
 * `ip` when the host has it (as Ansible: no ip, no addresses).
 */
static const char sh_network[] =
	"ls -f /sys/class/net 2>/dev/null | while read -r i; do\n"
	"  case $i in .|..) continue ;; esac; d=/sys/class/net/$i\n"
	"  p \"if=$i $(cat \"$d/type\" 2>/dev/null) "
	"$(cat \"$d/mtu\" 2>/dev/null) $(cat \"$d/flags\" 2>/dev/null) "
	"$(cat \"$d/address\" 2>/dev/null)\"\n"
	"  [ -d \"$d/bridge\" ] && p \"ifbridge=$i\"\n"
	"  [ -d \"$d/bonding\" ] && p \"ifbond=$i\"\n"
	"done\n"
	"if command -v ip >/dev/null 2>&1; then\n"
	"  ip -o -4 addr show 2>/dev/null | while read -r n dev fam addr rest; do\n"
	"    p \"addr4=${dev%%@*} $addr $rest\"; done\n"
	"  p \"route4=$(ip -4 route get 8.8.8.8 2>/dev/null | head -n 1)\"\n"
	"fi\n";

/*
 * Local facts: each *.fact in the fact path, sorted as glob sorts; an
 * executable one is run (stdout and stderr kept apart in a private
 * temporary directory), any other read.
 */
static const char sh_local[] =
	"if [ -d \"$fp\" ]; then\n"
	"  tdir=\n"
	"  for f in \"$fp\"/*.fact; do [ -e \"$f\" ] || [ -L \"$f\" ] || continue\n"
	"    if [ -x \"$f\" ] && [ -f \"$f\" ]; then\n"
	"      [ -n \"$tdir\" ] || tdir=$(mktemp -d) || break\n"
	"      \"$f\" >\"$tdir/o\" 2>\"$tdir/e\"; rc=$?\n"
	"      p \"$B exec $rc $f\"; cat \"$tdir/o\"; echo\n"
	"      p \"$B err\"; cat \"$tdir/e\"; echo\n"
	"    else\n"
	"      p \"$B file $f\"; cat \"$f\" 2>/dev/null; echo\n"
	"    fi\n"
	"    p \"$B end\"\n"
	"  done\n"
	"  [ -z \"$tdir\" ] || rm -rf \"$tdir\"\n"
	"fi\n";

static void boundary(char out[33])
{
	unsigned char r[16];
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

	if (fd < 0 || read(fd, r, sizeof(r)) != (ssize_t)sizeof(r)) {
		/* no /dev/urandom: the clock, the process and the stack */
		struct timespec ts;
		unsigned long long x;

		clock_gettime(CLOCK_REALTIME, &ts);
		x = (unsigned long long)ts.tv_nsec * 2654435761u ^
		    (unsigned long long)ts.tv_sec ^
		    ((unsigned long long)getpid() << 32) ^ (uintptr_t)&ts;
		for (size_t i = 0; i < sizeof(r); i++, x = x * 6364136223846793005ull + 1)
			r[i] = (unsigned char)(x >> 56);
	}
	if (fd >= 0)
		close(fd);
	for (size_t i = 0; i < sizeof(r); i++)
		snprintf(out + 2 * i, 3, "%02x", r[i]);
}

void facts_script(struct buf *out, struct facts_opts *o)
{
	static const struct {
		unsigned int bit;
		const char *sh;
	} parts[] = {
		{ FACTS_PLATFORM, sh_platform },
		{ FACTS_DISTRIBUTION, sh_distribution },
		{ FACTS_SERVICE_MGR, sh_service_mgr },
		{ FACTS_PKG_MGR, sh_pkg_mgr },
		{ FACTS_PYTHON, sh_python },
		{ FACTS_USER, sh_user },
		{ FACTS_ENV, sh_env },
		{ FACTS_DATE_TIME, sh_date_time },
		{ FACTS_HARDWARE, sh_hardware },
		{ FACTS_NETWORK, sh_network },
		{ FACTS_LOCAL, sh_local },
	};

	boundary(o->boundary);
	buf_addf(out, "B=%s\nfp=", o->boundary);
	sh_quote(out, o->fact_path ? o->fact_path : FACTS_PATH_DEFAULT);
	buf_adds(out, "\np() { printf '%s\\n' \"$*\"; }\n");
	for (size_t i = 0; i < ARRAY_SIZE(parts); i++)
		if (o->subsets & parts[i].bit)
			buf_adds(out, parts[i].sh);
	buf_adds(out, "exit 0\n");
}
