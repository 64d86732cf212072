/*
 * vars_prompt: before a plan or an apply, each play's prompts are asked
 * on the terminal, as ansible-playbook 2.14 asks them; the answers are
 * play vars. A variable given with -e is not asked for. Without a
 * terminal on stdin nothing is asked: as Ansible, a warning, and each
 * variable is its `default` (the string "None" when it has none).
 * Prompts go to stderr (stdout is the plan's). A private answer typed
 * on the terminal (private is the default) is a secret: never shown,
 * stored or planned; a default, written in the playbook, is not.
 */

#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/data/truth.h"
#include "tend/engine/run.h"
#include "tend/lang/template.h"
#include "tend/cli/cli_int.h"

#include <ctype.h>
#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

/* One line from stdin, without echo when `private`; false at EOF. */
static bool read_answer(struct buf *out, const char *msg, bool private)
{
	struct termios old, quiet;
	bool echo_off = false;
	int c;

	/* Echo off before the prompt shows (as Python's getpass): an answer
	 * typed the moment the prompt appears is not echoed. */
	if (private && tcgetattr(0, &old) == 0) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		echo_off = tcsetattr(0, TCSAFLUSH, &quiet) == 0;
	}
	fputs(msg, stderr);
	fflush(stderr);
	buf_reset(out);
	while ((c = getchar()) != EOF && c != '\n')
		buf_addch(out, (char)c);
	if (echo_off) {
		tcsetattr(0, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	return c != EOF || out->len;
}

static bool flag(const struct val *e, const char *key, bool dflt)
{
	const struct val *v = val_dict_get(e, key);
	bool b = dflt;

	if (v && truth_boolean(&b, v) < 0)
		b = dflt;
	return b;
}

/* Ask for one entry on the terminal: the answer, or NULL at EOF. */
static char *ask(const struct val *e, const char *name,
		 const struct buf *dflt, bool has_default)
{
	const struct val *pv = val_dict_get(e, "prompt");
	struct buf prompt = BUF_INIT, msg = BUF_INIT, a = BUF_INIT;
	struct buf b = BUF_INIT, cmsg = BUF_INIT;
	bool private = flag(e, "private", true);
	char *out = NULL;

	if (pv)
		val_to_str(&prompt, pv);
	else
		buf_adds(&prompt, name);
	if (prompt.len && has_default)
		buf_addf(&msg, "%s [%s]: ", prompt.ptr, dflt->ptr);
	else if (prompt.len)
		buf_addf(&msg, "%s: ", prompt.ptr);
	else
		buf_addf(&msg, "input for %s: ", name);
	for (;;) {
		if (!read_answer(&a, msg.ptr, private))
			goto out;
		if (!flag(e, "confirm", false))
			break;
		buf_reset(&cmsg);
		buf_addf(&cmsg, "confirm %s", msg.ptr);
		if (!read_answer(&b, cmsg.ptr, private))
			goto out;
		if (!strcmp(a.ptr, b.ptr))
			break;
		fputs("***** VALUES ENTERED DO NOT MATCH ****\n", stderr);
	}
	out = buf_detach(&a, NULL);
out:
	buf_release_secret(&a);
	buf_release_secret(&b);
	buf_release(&prompt);
	buf_release(&msg);
	buf_release(&cmsg);
	return out;
}

/*
 * `encrypt`: *answer becomes its hash, as Ansible's do_encrypt makes it
 * (password_hash's). The hash of a typed private answer stays a secret
 * (prompt_one). Returns 0, or an exit code.
 */
static int encrypt(char **answer, const struct val *e, const char *name,
		   const struct val *algo, bool secret)
{
	const struct val *salt = val_dict_get(e, "salt");
	const struct val *size = val_dict_get(e, "salt_size");
	struct buf sb = BUF_INIT;
	struct val *h = NULL;
	int error;

	if (salt && !val_is(salt, VAL_NULL))
		val_to_str(&sb, salt);
	/* an empty salt is a random one, as passlib's */
	error = template_encrypt(&h, *answer, val_cstr(algo),
				 sb.len ? sb.ptr : NULL,
				 val_is(size, VAL_INT) ? size->u.i : 0);
	buf_release(&sb);
	if (error < 0)
		return cli_err("vars_prompt '%s': encrypt: %s", name,
			       secret ? "the answer cannot be hashed" :
			       tend_error_last());
	memset(*answer, 0, strlen(*answer));
	free(*answer);
	*answer = xstrdup(val_cstr(h));
	val_unref(h);
	return 0;
}

/* One entry of a play's vars_prompt. Returns 0, or an exit code. */
static int prompt_one(struct play *p, const struct val *e,
		      const struct val *extra, bool tty, bool *warned)
{
	const char *name = val_cstr(val_dict_get(e, "name"));
	const struct val *dv = val_dict_get(e, "default");
	struct buf dflt = BUF_INIT;
	bool has_default = dv && !val_is(dv, VAL_NULL), secret;
	char *answer = NULL;
	struct val *v;
	int rc = 0;

	if (val_dict_get(extra, name))
		return 0;
	if (has_default)
		val_to_str(&dflt, dv);
	if (tty) {
		answer = ask(e, name, &dflt, has_default);
		if (!answer) {
			buf_release(&dflt);
			return cli_err("no answer for vars_prompt '%s' (end of "
				       "input)", name);
		}
	} else if (!*warned) {
		fprintf(stderr, "tend: warning: not prompting as we are not in "
			"interactive mode (vars_prompt)\n");
		*warned = true;
	}
	/* a private answer typed on the terminal is a secret */
	secret = answer && *answer && flag(e, "private", true);
	/* as Ansible: an empty answer takes the default; no default: "None" */
	if ((!answer || !*answer) && has_default) {
		free(answer);
		answer = buf_detach(&dflt, NULL);
	} else if (!answer && val_dict_get(e, "encrypt")) {
		/* Ansible hashes None and stops on "Unexpected Exception" */
		buf_release(&dflt);
		return cli_err("vars_prompt '%s': nothing to encrypt (no answer "
			       "and no default)", name);
	} else if (!answer) {
		answer = xstrdup("None");
	}
	if ((v = val_dict_get(e, "encrypt")) &&
	    (rc = encrypt(&answer, e, name, v, secret)))
		goto out;
	v = val_str(answer);
	if (flag(e, "unsafe", false))
		v = val_unsafe(v);
	if (secret)
		v = val_secret(v);
	playbook_play_set_var(p, name, v);
out:
	if (answer)
		memset(answer, 0, strlen(answer));
	free(answer);
	buf_release(&dflt);
	return rc;
}

int cli_vars_prompt(struct cli_args *a)
{
	bool tty = isatty(0), warned = false;
	int rc;

	for (size_t i = 0; i < a->pbs_nr; i++)
		for (size_t j = 0; j < a->pbs[i]->nr; j++) {
			struct play *p = a->pbs[i]->plays[j];

			for (size_t k = 0; k < val_len(p->vars_prompt); k++)
				if ((rc = prompt_one(p, val_list_at(
						p->vars_prompt, k), a->extra,
						tty, &warned)))
					return rc;
		}
	return 0;
}

/* A prompt on the terminal: one that cannot be written is still answered. */
static void tty_write(int fd, const char *s)
{
	ssize_t n = write(fd, s, strlen(s));

	(void)n;
}

/*
 * -K: ansible-playbook's "BECOME password: ", asked on the terminal
 * (/dev/tty, as Python's getpass) with echo off. The answer is a secret
 * connection var of the lowest layer (an inventory's
 * ansible_become_password wins, as in Ansible); it is never an argument
 * and never shown. Without a terminal -K is refused: nothing to ask on.
 */
int cli_ask_become_pass(struct cli_args *a)
{
	struct termios old, quiet;
	struct buf pw = BUF_INIT;
	bool echo_off = false;
	char c;
	ssize_t n;
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return cli_err("-K/--ask-become-pass: no terminal to ask the "
			       "become password on (%s); give it as the "
			       "secret var ansible_become_password (--secrets "
			       "FILE, or a vault file)", strerror(errno));
	if (tcgetattr(fd, &old) == 0) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		echo_off = tcsetattr(fd, TCSAFLUSH, &quiet) == 0;
	}
	tty_write(fd, "BECOME password: ");
	while ((n = read(fd, &c, 1)) == 1 && c != '\n')
		buf_addch(&pw, c);
	if (echo_off)
		tcsetattr(fd, TCSAFLUSH, &old);
	tty_write(fd, "\n");
	close(fd);
	if (n != 1 && !pw.len) {
		buf_release_secret(&pw);
		return cli_err("-K/--ask-become-pass: no password read");
	}
	val_dict_set(a->defaults, "ansible_become_password",
		     val_secret(val_str(pw.ptr)));
	buf_release_secret(&pw);
	return 0;
}

int cli_need_tty(const char *opt)
{
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return cli_err("%s: no terminal to ask on (%s)", opt,
			       strerror(errno));
	close(fd);
	return 0;
}

int cli_step_ask(const char *name)
{
	struct buf msg = BUF_INIT, ans = BUF_INIT;
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC), said = RUN_STEP_NO;
	char c;

	if (fd < 0)
		return RUN_STEP_NO;
	buf_addf(&msg, "Perform task: TASK: %s (N)o/(y)es/(c)ontinue: ", name);
	tty_write(fd, msg.ptr);
	while (read(fd, &c, 1) == 1 && c != '\n')
		buf_addch(&ans, c);
	close(fd);
	buf_trim(&ans);
	for (size_t i = 0; i < ans.len; i++)
		ans.ptr[i] = (char)tolower((unsigned char)ans.ptr[i]);
	if (!strcmp(ans.ptr, "y") || !strcmp(ans.ptr, "yes"))
		said = RUN_STEP_YES;
	else if (!strcmp(ans.ptr, "c") || !strcmp(ans.ptr, "continue"))
		said = RUN_STEP_ALL;
	buf_release(&msg);
	buf_release(&ans);
	return said;
}
