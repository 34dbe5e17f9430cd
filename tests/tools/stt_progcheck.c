// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * stt_progcheck: does the running kernel's verifier accept each BPF program of the given
 * objects, each loaded on its own? One line per program:
 *
 *   ok - build/stt_xdp.bpf.o: stt_xdp_rx (xdp), 5421 instructions verified
 *   not ok - build/stt_tx.bpf.o: stt_tc_tx (tc): Permission denied
 *   #   <the last LINES lines of the verifier log>
 *
 * and a last line `N passed, N failed, 0 skipped` (tests/run.sh reads it). Exit status 1 if
 * a program or an object failed. Nothing is attached and nothing is pinned: the objects'
 * pinned maps get their pin path cleared, so a check never touches a running stt's state.
 *
 *   stt_progcheck [-n LINES] OBJ.bpf.o...     LINES of log per failure (30; 0: all of it)
 *
 * Loading programs one at a time tells which program a verifier rejects; the skeleton's
 * all-at-once load stops at the first. The log is asked for only after a failure (a level-1
 * log of a program that passes is large and slows the load down).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#define LOG_SIZE (64u << 20) /* the verifier's own limit for a log buffer is UINT_MAX >> 8 */

static int no_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return 0;
}

/* Print the last `lines` lines of log (all of it if 0), each as a "#   " line. */
static void print_tail(const char *log, int lines)
{
	const char *end = log + strlen(log), *p;
	int n = 0;

	while (end > log && end[-1] == '\n')
		end--;
	p = lines ? end : log;
	while (p > log && !(p[-1] == '\n' && ++n == lines))
		p--;
	while (p < end) {
		const char *nl = memchr(p, '\n', end - p);
		int len = nl ? (int)(nl - p) : (int)(end - p);

		printf("#   %.*s\n", len, p);
		p += len + 1;
	}
}

/*
 * Open path with only its program number `index` to be loaded, and no pin paths. With
 * log != NULL, ask for a level-1 verifier log into it. Returns the object (caller closes)
 * or NULL with errno set; *prog is the program.
 */
static struct bpf_object *open_one(const char *path, int index, struct bpf_program **prog,
				   char *log)
{
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	struct bpf_program *p;
	struct bpf_map *m;
	int i = 0;

	if (!obj)
		return NULL;
	*prog = NULL;
	bpf_object__for_each_program(p, obj)
	{
		bpf_program__set_autoload(p, i == index);
		if (i++ == index)
			*prog = p;
	}
	bpf_object__for_each_map(m, obj) bpf_map__set_pin_path(m, NULL);
	if (*prog && log) {
		log[0] = '\0';
		bpf_program__set_log_buf(*prog, log, LOG_SIZE);
		bpf_program__set_log_level(*prog, 1);
	}
	return obj;
}

static __u32 verified_insns(struct bpf_program *prog)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len))
		return 0;
	return info.verified_insns;
}

/* Check every program of one object; adds to *passed and *failed. */
static void check_object(const char *path, int lines, char *log, int *passed, int *failed)
{
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	struct bpf_program *p;
	int n = 0;

	if (!obj) {
		printf("not ok - %s: cannot open: %s\n", path, strerror(errno));
		(*failed)++;
		return;
	}
	bpf_object__for_each_program(p, obj) n++;
	bpf_object__close(obj);
	if (n == 0) {
		printf("not ok - %s: no program in it\n", path);
		(*failed)++;
		return;
	}
	for (int i = 0; i < n; i++) {
		struct bpf_program *prog;
		int err;

		obj = open_one(path, i, &prog, NULL);
		if (!obj || !prog) {
			printf("not ok - %s: program #%d: cannot open: %s\n", path, i, strerror(errno));
			(*failed)++;
			bpf_object__close(obj);
			continue;
		}
		err = bpf_object__load(obj);
		if (!err) {
			printf("ok - %s: %s (%s), %u instructions verified\n", path,
			       bpf_program__name(prog), bpf_program__section_name(prog),
			       verified_insns(prog));
			(*passed)++;
			bpf_object__close(obj);
			continue;
		}
		printf("not ok - %s: %s (%s): %s\n", path, bpf_program__name(prog),
		       bpf_program__section_name(prog), strerror(-err));
		(*failed)++;
		bpf_object__close(obj);
		/* Again, for the verifier's log. */
		obj = open_one(path, i, &prog, log);
		if (obj && prog) {
			err = bpf_object__load(obj);
			if (err == -ENOSPC)
				printf("#   (the log outgrew %u MiB: what follows is not its end)\n",
				       LOG_SIZE >> 20);
			if (log[0])
				print_tail(log, lines);
			else
				printf("#   (no verifier log: %s)\n",
				       err ? strerror(-err) : "loaded the second time");
		}
		bpf_object__close(obj);
	}
}

int main(int argc, char **argv)
{
	int lines = 30, passed = 0, failed = 0, opt;
	char *log;

	while ((opt = getopt(argc, argv, "n:")) != -1) {
		if (opt != 'n')
			goto usage;
		lines = atoi(optarg);
	}
	if (optind >= argc || lines < 0)
		goto usage;
	log = malloc(LOG_SIZE);
	if (!log) {
		perror("stt_progcheck");
		return 1;
	}
	libbpf_set_print(no_print);
	for (int i = optind; i < argc; i++)
		check_object(argv[i], lines, log, &passed, &failed);
	free(log);
	printf("%d passed, %d failed, 0 skipped\n", passed, failed);
	return failed ? 1 : 0;
usage:
	fprintf(stderr, "usage: stt_progcheck [-n LINES] OBJ.bpf.o...\n");
	return 2;
}
