/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Private pins for test programs that load the stt skeletons: the paths libbpf pinned
 * under pin_dir, their removal (also from a fatal signal handler), and libbpf's output.
 * Shared by the unit tests and the BPF fuzz harness. Needs test.h (for T).
 */
#ifndef STT_TEST_PINS_H
#define STT_TEST_PINS_H

#include <dirent.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/libbpf.h>

static char pin_dir[PATH_MAX];
static char pin_paths[16][PATH_MAX];
static int nr_pin_paths;

/* Async-signal-safe: unlink and rmdir only, over paths computed beforehand. */
static void remove_pins(void)
{
	for (int i = 0; i < nr_pin_paths; i++)
		unlink(pin_paths[i]);
	if (pin_dir[0])
		rmdir(pin_dir);
}

/* remove_pins, and anything else pinned there (a map added to the programs later). */
static void remove_pin_dir(void)
{
	DIR *d;

	remove_pins();
	if (pin_dir[0] && (d = opendir(pin_dir))) {
		struct dirent *de;
		char path[PATH_MAX + 256];

		while ((de = readdir(d))) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", pin_dir, de->d_name);
			unlink(path);
		}
		closedir(d);
		rmdir(pin_dir);
	}
	pin_dir[0] = 0;
}

static void fatal_signal(int sig)
{
	remove_pins();
	signal(sig, SIG_DFL);
	raise(sig);
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (!T.verbose || level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static void note_pin_paths(struct bpf_object *obj)
{
	struct bpf_map *map;

	bpf_object__for_each_map(map, obj)
	{
		const char *path = bpf_map__pin_path(map);
		bool seen = false;

		if (!path || nr_pin_paths == (int)(sizeof(pin_paths) / sizeof(pin_paths[0])))
			continue;
		for (int i = 0; i < nr_pin_paths; i++)
			seen |= !strcmp(pin_paths[i], path);
		if (!seen)
			snprintf(pin_paths[nr_pin_paths++], PATH_MAX, "%s", path);
	}
}

/*
 * Open and load the three stt skeletons (transmit, TC receive, XDP) with their maps pinned in a private directory
 * /sys/fs/bpf/PREFIX-PID (removed by cleanup, registered here with atexit, and by
 * fatal_signal). Returns 0, 1 to skip (no bpffs rights, no BPF), -1 on failure (said).
 * Needs stt_tx.skel.h, stt_tc_rx.skel.h and stt_xdp.skel.h.
 */
static int load_skels(const char *prefix, void (*cleanup)(void), struct stt_tx_bpf **tc,
		      struct stt_tc_rx_bpf **rx, struct stt_xdp_bpf **xdp)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo);
	int err;

	snprintf(pin_dir, sizeof(pin_dir), "/sys/fs/bpf/%s-%d", prefix, (int)getpid());
	if (mkdir(pin_dir, 0700)) {
		int e = errno;

		pin_dir[0] = 0;
		if (e == EPERM || e == EACCES) {
			test_skip("cannot create a directory in /sys/fs/bpf: %s", strerror(e));
			return 1;
		}
		printf("# setup: mkdir in /sys/fs/bpf: %s\n", strerror(e));
		return -1;
	}
	atexit(cleanup);
	signal(SIGINT, fatal_signal);
	signal(SIGTERM, fatal_signal);
	signal(SIGHUP, fatal_signal);
	signal(SIGSEGV, fatal_signal);
	signal(SIGABRT, fatal_signal);
	signal(SIGBUS, fatal_signal);

	oo.pin_root_path = pin_dir;
	*tc = stt_tx_bpf__open_opts(&oo);
	if (!*tc) {
		printf("# setup: opening stt_tx: %s\n", strerror(errno));
		return -1;
	}
	note_pin_paths((*tc)->obj);
	*rx = stt_tc_rx_bpf__open_opts(&oo);
	if (!*rx) {
		printf("# setup: opening stt_tc_rx: %s\n", strerror(errno));
		return -1;
	}
	note_pin_paths((*rx)->obj);
	*xdp = stt_xdp_bpf__open_opts(&oo);
	if (!*xdp) {
		printf("# setup: opening stt_xdp: %s\n", strerror(errno));
		return -1;
	}
	note_pin_paths((*xdp)->obj);
	err = stt_tx_bpf__load(*tc);
	if (!err)
		err = stt_tc_rx_bpf__load(*rx);
	if (!err)
		err = stt_xdp_bpf__load(*xdp);
	if (err) {
		if (err == -EPERM || err == -ENOSYS) {
			test_skip("BPF unavailable: %s", strerror(-err));
			return 1;
		}
		printf("# setup: loading the BPF programs: %s (run with -v for the verifier log)\n",
		       strerror(-err));
		return -1;
	}
	return 0;
}

#endif
