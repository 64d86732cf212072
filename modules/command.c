#include "tend/common.h"
#include "tend/modkit/module.h"
#include "tend/modkit/toolkit.h"
#include "tend/transport/transport.h"
#include "tend/util/buf.h"
#include "tend/util/quote.h"

#include <ctype.h>

/*
 * command: run a program with arguments, no shell. The words are split
 * on the controller and each is quoted into the script. As Ansible's
 * run_command does (expand_user_and_vars), each word then has its
 * environment variables ($NAME, ${NAME}) and a leading ~ or ~user
 * expanded on the host, with Python's rules (expand_word).
 */

static const struct arg_spec command_args[] = {
	{ "cmd", ARG_STR, 0, NULL, NULL, NULL,
	  "the command line (or give it free-form)" },
	{ "argv", ARG_LIST, 0, NULL, NULL, NULL,
	  "the command as a list of words" },
	{ "creates", ARG_PATH, 0, NULL, NULL, NULL,
	  "do not run if this path (glob) exists" },
	{ "removes", ARG_PATH, 0, NULL, NULL, NULL,
	  "run only if this path (glob) exists" },
	{ "chdir", ARG_PATH, 0, NULL, NULL, NULL, "run in this directory" },
	{ "stdin", ARG_STR, 0, NULL, NULL, NULL, "text fed to the command" },
	{ "stdin_add_newline", ARG_BOOL, 0, NULL, NULL, "yes",
	  "append a newline to stdin" },
	{ "strip_empty_ends", ARG_BOOL, 0, NULL, NULL, "yes",
	  "strip trailing newlines from stdout and stderr" },
	{ NULL, 0, 0, NULL, NULL, NULL, NULL },
};

/* The words to run, as a new list. */
static int command_words(struct val **out, const struct task_ctx *ctx)
{
	const struct val *argv = arg_get(ctx, "argv");
	const char *text = arg_str(ctx, "_raw_params");

	if (!text)
		text = arg_str(ctx, "cmd");
	if (val_is(argv, VAL_LIST) && val_len(argv)) {
		struct val *list;

		if (text)
			return tend_error_set("only command or argv can be "
					      "given, not both");
		list = val_list();
		for (size_t i = 0; i < val_len(argv); i++) {
			struct buf w = BUF_INIT;

			val_to_text(&w, val_list_at(argv, i));
			val_list_push(list, val_strn(w.ptr, w.len));
			buf_release(&w);
		}
		*out = list;
		return 0;
	}
	if (!text || !*text)
		return tend_error_set("no command given");
	if (sh_split(out, text) < 0)
		return -1;
	if (!val_len(*out)) {
		val_unref(*out);
		*out = NULL;
		return tend_error_set("no command given");
	}
	return 0;
}

/* The probe: creates/removes, if given; the words are kept for judge. */
static int command_probe(struct probe *out, const struct task_ctx *ctx)
{
	struct val *words = NULL;
	int error;

	if ((error = command_words(&words, ctx)) < 0)
		return error;
	out->priv = words;
	out->priv_free = probe_val_free;
	task_command_probe(&out->script, ctx);
	return 0;
}

/* The shell functions expand_word's code calls, defined once. */
static const char expand_funcs[] =
	/* _tv NAME TEXT: add NAME's value from the environment (printenv:
	 * a shell's own unexported variables are not the environment), or
	 * TEXT, the reference as written, when it is unset */
	"_tv() { if _v=$(printenv \"$1\" && echo .); then"
	" _v=${_v%.}; _w=$_w${_v%?}; else _w=$_w$2; fi; }\n"
	/* _th: os.path.expanduser of _w: ~ is $HOME (else the user's
	 * passwd entry), ~user that user's home; an unknown user, or a
	 * name of digits alone (getent would read it as a uid), leaves it */
	"_th() { case $_w in '~'*) ;; *) return;; esac; _u=${_w%%/*};"
	" _u=${_u#'~'}; if [ -z \"$_u\" ]; then"
	" _h=$(printenv HOME && echo .) && _h=${_h%.} && _h=${_h%?} ||"
	" _h=$(getent passwd \"$(id -u)\" | cut -d: -f6) || return;"
	" else case $_u in *[!0-9]*) ;; *) return;; esac;"
	" _h=$(getent passwd -- \"$_u\") || return;"
	" _h=${_h#*:*:*:*:*:}; _h=${_h%:*}; fi;"
	" while case $_h in */) true;; *) false;; esac; do _h=${_h%/}; done;"
	" _w=$_h${_w#\"~$_u\"}; [ -n \"$_w\" ] || _w=/; }\n";

static bool is_sh_name(const char *s, size_t len)
{
	if (!len || isdigit((unsigned char)s[0]))
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_')
			return false;
	return true;
}

/*
 * The code that appends `word`, expanded as Python's
 * os.path.expanduser(os.path.expandvars(word)) would on the host, to the
 * positional parameters: each $NAME or ${...} (NAME of ASCII letters,
 * digits and _) is the variable's value, or stays as written when the
 * environment has no such variable (a name no shell variable can have
 * is never set there); values are not scanned again; then a leading ~.
 * Returns whether the word needed any.
 */
static bool expand_word(struct buf *s, const char *word)
{
	const char *p = word, *lit = word;

	if (!strchr(word, '$') && word[0] != '~')
		return false;
	buf_adds(s, "_w=\n");
	while ((p = strchr(p, '$'))) {
		const char *name = p + 1, *end;
		size_t len;

		if (*name == '{' && (end = strchr(name, '}'))) {
			name++;
			len = (size_t)(end - name);
			end++;
		} else {
			for (end = name; isalnum((unsigned char)*end) ||
					 *end == '_'; end++)
				;
			len = (size_t)(end - name);
			if (!len) {
				p++;
				continue;
			}
		}
		if (p > lit) {
			buf_adds(s, "_w=$_w");
			sh_quote_n(s, lit, (size_t)(p - lit));
			buf_addch(s, '\n');
		}
		if (is_sh_name(name, len)) {
			buf_addf(s, "_tv %.*s ", (int)len, name);
		} else {
			buf_adds(s, "_w=$_w");
		}
		sh_quote_n(s, p, (size_t)(end - p));
		buf_addch(s, '\n');
		lit = p = end;
	}
	if (*lit) {
		buf_adds(s, "_w=$_w");
		sh_quote(s, lit);
		buf_addch(s, '\n');
	}
	buf_adds(s, "_th\nset -- \"$@\" \"$_w\"\n");
	return true;
}

static int command_apply(struct apply_result *out, const struct task_ctx *ctx,
			 const struct check_result *planned)
{
	struct val *words = NULL;
	struct buf s = BUF_INIT, exp = BUF_INIT;
	bool any = false;
	int error;

	if ((error = command_words(&words, ctx)) < 0)
		return error;
	buf_adds(&exp, "set --\n");
	for (size_t i = 0; i < val_len(words); i++) {
		const char *w = val_cstr(val_list_at(words, i));

		if (expand_word(&exp, w)) {
			any = true;
		} else {
			buf_adds(&exp, "set -- \"$@\" ");
			sh_quote(&exp, w);
			buf_addch(&exp, '\n');
		}
	}
	if (any) {
		buf_adds(&s, expand_funcs);
		buf_addbuf(&s, &exp);
		buf_adds(&s, "exec \"$@\"\n");
	} else {
		buf_adds(&s, "exec");
		for (size_t i = 0; i < val_len(words); i++) {
			buf_addch(&s, ' ');
			sh_quote(&s, val_cstr(val_list_at(words, i)));
		}
		buf_addch(&s, '\n');
	}
	buf_release(&exp);
	error = task_command_run(out, ctx, s.ptr, words, planned);
	buf_release(&s);
	val_unref(words);
	return error;
}

const struct tend_module mod_command = {
	.name = "command",
	.args = command_args,
	.flags = MOD_FREE_FORM | MOD_MAY_BE_UNKNOWN | MOD_ASYNC_BG,
	.doc = "run a command without a shell ($VAR, ${VAR} and a leading ~ "
	       "in its words expanded on the host, as Ansible does)",
	.returns =
		"cmd: the command as run (a list of its words)\n"
		"rc: its exit code\n"
		"stdout, stderr: what it printed (a trailing newline removed)\n"
		"stdout_lines, stderr_lines: the same, split into lines\n"
		"start, end: when it started and ended (local time)\n"
		"delta: how long it took (H:MM:SS.ffffff)\n"
		"msg: \"non-zero return code\" on a failure, else empty\n",
	.example =
		"- command: /usr/sbin/nginx -t\n"
		"  register: check\n"
		"  changed_when: false\n"
		"- command:\n"
		"    argv: [useradd, --system, app]\n"
		"    creates: /home/app\n",
	.probe = command_probe,
	.judge = task_command_judge,
	.apply = command_apply,
};
