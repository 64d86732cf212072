#include "tend/common.h"
#include "tend/data/vault.h"
#include "tend/util/fs.h"
#include "tend/cli/cli_int.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/*
 * Vault passwords for every command that loads files, and `tend vault`:
 * encrypt, decrypt, view and edit whole files, encrypt_string for !vault
 * values. Formats and crypto: data/vault.c.
 */

int cli_vault_opt(struct cli_args *a, enum opt_id id, const char *v)
{
	int error = id == OPT_VAULT_ID ? vault_keys_add_id(&a->vault, v) :
				 vault_keys_add_file(&a->vault, NULL, v);

	if (error < 0)
		return cli_err("%s", tend_error_last()), -1;
	return 0;
}

int cli_vault_ready(struct cli_args *a)
{
	const char *env = getenv("ANSIBLE_VAULT_PASSWORD_FILE");

	/* plan, apply, validate: ansible.cfg's, the variable over it */
	if (a->acfg) {
		if (cli_ansiblecfg_vault(a) < 0)
			return -1;
	} else if (env && *env &&
		   vault_keys_add_file(&a->vault, NULL, env) < 0)
		return cli_err("ANSIBLE_VAULT_PASSWORD_FILE: %s",
			       tend_error_last()), -1;
	vault_set_keys(&a->vault);
	return 0;
}

/* Read FILE ("-": standard input) whole into b. */
static int read_input(struct buf *b, const char *path)
{
	char chunk[8192];
	ssize_t n;

	if (strcmp(path, "-")) {
		if (buf_read_file(b, path) < 0)
			return cli_err("%s", tend_error_last()), -1;
		return 0;
	}
	while ((n = read(0, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return cli_err("cannot read standard input: %s",
				       strerror(errno)), -1;
		buf_add(b, chunk, (size_t)n);
	}
	return 0;
}

/*
 * Write b to `path` ("-": standard output), atomically and with the mode
 * of `like` when it exists (else 0600).
 */
static int write_output(const char *path, const struct buf *b,
			const char *like)
{
	struct stat st;
	unsigned int mode = 0600;

	if (!strcmp(path, "-")) {
		fwrite(b->ptr, 1, b->len, stdout);
		return 0;
	}
	if (like && strcmp(like, "-") && !stat(like, &st))
		mode = st.st_mode & 07777;
	if (buf_write_file_atomic(path, b->ptr, b->len, mode) < 0)
		return cli_err("%s", tend_error_last()), -1;
	return 0;
}

/* The key to encrypt with: the first password given. */
static const struct vault_key *encrypt_key(void)
{
	const struct vault_keys *k = vault_keys();

	if (!k->nr) {
		cli_err("no vault password given: pass --vault-password-file "
			"FILE (or --vault-id, or set ANSIBLE_VAULT_PASSWORD_FILE)");
		return NULL;
	}
	return &k->items[0];
}

/* encrypt, decrypt or view one file; `out` NULL means in place. */
static int convert(const char *sub, const char *path, const char *out)
{
	struct buf in = BUF_INIT, res = BUF_INIT;
	const struct vault_key *key;
	bool enc = !strcmp(sub, "encrypt");
	int rc = -1;

	if (read_input(&in, path) < 0)
		goto out;
	if (enc && vault_is_vault(in.ptr, in.len)) {
		cli_err("'%s' is already vault-encrypted", path);
		goto out;
	}
	if (enc) {
		if (!(key = encrypt_key()))
			goto out;
		if (vault_encrypt(&res, in.ptr, in.len, key) < 0) {
			cli_err("'%s': %s", path, tend_error_last());
			goto out;
		}
	} else if (vault_decrypt(&res, in.ptr, in.len, vault_keys()) < 0) {
		cli_err("cannot decrypt '%s': %s", path, tend_error_last());
		goto out;
	}
	rc = write_output(!strcmp(sub, "view") ? "-" : out ? out : path,
			  &res, path);
out:
	buf_release_secret(&in);
	buf_release_secret(&res);
	return rc;
}

/*
 * Run $EDITOR (else vi) on `file`, through sh as git does, so EDITOR
 * may hold arguments ("code --wait").
 */
static int run_editor(const char *file, const char *path)
{
	const char *ed = getenv("EDITOR");
	struct buf script = BUF_INIT;
	int status;
	pid_t pid;

	if (!ed || !*ed)
		ed = "vi";
	buf_addf(&script, "%s \"$@\"", ed);
	if ((pid = fork()) < 0) {
		buf_release(&script);
		return cli_err("cannot start the editor: %s", strerror(errno)), -1;
	}
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", script.ptr, ed, file, (char *)NULL);
		_exit(127);
	}
	buf_release(&script);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		return cli_err("the editor '%s' failed; '%s' is unchanged", ed,
			       path), -1;
	return 0;
}

/*
 * edit: the plaintext goes to a file of mode 0600 in a directory of mode
 * 0700 that only we can enter, the editor runs, and what it saved is
 * encrypted back in place; the plaintext is overwritten and removed
 * whatever happens.
 */
static int edit(const char *path)
{
	struct buf in = BUF_INIT, plain = BUF_INIT, edited = BUF_INIT,
		   res = BUF_INIT, tmp = BUF_INIT;
	const char *base = getenv("TMPDIR");
	const struct vault_key *key;
	char dir[4096];
	int fd = -1, rc = -1;

	snprintf(dir, sizeof(dir), "%s/tend-vault-XXXXXX",
		 base && *base ? base : "/tmp");
	if (read_input(&in, path) < 0 || !(key = encrypt_key()))
		goto out;
	if (vault_decrypt(&plain, in.ptr, in.len, vault_keys()) < 0) {
		cli_err("cannot decrypt '%s': %s", path, tend_error_last());
		goto out;
	}
	if (!mkdtemp(dir)) {
		cli_err("cannot make a private directory: %s", strerror(errno));
		goto out;
	}
	buf_addf(&tmp, "%s/%s", dir, strrchr(path, '/') ?
		 strrchr(path, '/') + 1 : path);
	fd = open(tmp.ptr, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, plain.ptr, plain.len) != (ssize_t)plain.len ||
	    close(fd) < 0) {
		cli_err("cannot write '%s': %s", tmp.ptr, strerror(errno));
		goto wipe;
	}
	if (run_editor(tmp.ptr, path) < 0)
		goto wipe;
	buf_grow(&edited, plain.len + 8192);
	if (read_input(&edited, tmp.ptr) < 0)
		goto wipe;
	if (edited.len == plain.len && !memcmp(edited.ptr, plain.ptr, plain.len)) {
		rc = 0; /* unchanged: keep the old ciphertext, as Ansible */
		goto wipe;
	}
	if (vault_encrypt(&res, edited.ptr, edited.len, key) < 0)
		cli_err("'%s': %s", path, tend_error_last());
	else
		rc = write_output(path, &res, path);
wipe:
	if ((fd = open(tmp.ptr, O_WRONLY | O_CLOEXEC)) >= 0) {
		struct stat st;
		char zero[4096] = { 0 };

		for (off_t n = fstat(fd, &st) ? 0 : st.st_size; n > 0;
		     n -= (off_t)sizeof(zero))
			if (write(fd, zero, n < (off_t)sizeof(zero) ?
				  (size_t)n : sizeof(zero)) < 0)
				break;
		fsync(fd);
		close(fd);
	}
	unlink(tmp.ptr);
	rmdir(dir);
out:
	buf_release(&in);
	buf_release_secret(&plain);
	buf_release_secret(&edited);
	buf_release(&res);
	buf_release(&tmp);
	return rc;
}

/* encrypt_string [TEXT]: a !vault value to paste into YAML. */
static int encrypt_string(struct cli_args *a)
{
	struct buf in = BUF_INIT, res = BUF_INIT;
	const struct vault_key *key = encrypt_key();
	int rc = -1;

	if (!key)
		return -1;
	if (a->pos_nr > 2) {
		cli_err("usage: tend vault encrypt_string [TEXT] [--name VAR]");
		return -1;
	}
	if (a->pos_nr == 2)
		buf_adds(&in, a->pos[1]);
	else if (read_input(&in, "-") < 0)
		goto out;
	if (vault_encrypt(&res, in.ptr, in.len, key) < 0) {
		cli_err("%s", tend_error_last());
		goto out;
	}
	if (a->name)
		printf("%s: ", a->name);
	fputs("!vault |\n", stdout);
	/* indented ten spaces, as ansible-vault prints it */
	for (const char *p = res.ptr, *nl; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		printf("          %.*s\n", (int)(nl - p), p);
	}
	rc = 0;
out:
	buf_release_secret(&in);
	buf_release(&res);
	return rc;
}

int cmd_vault(struct cli_args *a)
{
	static const char *const subs[] = { "encrypt", "decrypt", "view",
					     "edit", "encrypt_string", NULL };
	const char *sub = a->pos_nr ? a->pos[0] : "";
	size_t i;

	for (i = 0; subs[i] && strcmp(subs[i], sub); i++)
		;
	if (!subs[i])
		return cli_err("usage: tend vault encrypt|decrypt|view|edit "
			       "FILE... | encrypt_string [TEXT] (see 'tend "
			       "help vault')");
	if (!strcmp(sub, "encrypt_string"))
		return encrypt_string(a) < 0 ? EXIT_ERROR : EXIT_OK;
	if (a->pos_nr < 2)
		return cli_err("tend vault %s needs a FILE ('-' for standard "
			       "input)", sub);
	if (a->output && (a->pos_nr != 2 || !strcmp(sub, "edit")))
		return cli_err("--output takes one FILE, and not with edit");
	if (!strcmp(sub, "edit"))
		for (size_t j = 1; j < a->pos_nr; j++)
			if (!strcmp(a->pos[j], "-"))
				return cli_err("tend vault edit needs a file, "
					       "not '-'");
	for (size_t j = 1; j < a->pos_nr; j++) {
		int error = !strcmp(sub, "edit") ? edit(a->pos[j]) :
			    convert(sub, a->pos[j], a->output ? a->output :
				    !strcmp(a->pos[j], "-") ? "-" : NULL);

		if (error < 0)
			return EXIT_ERROR;
	}
	return EXIT_OK;
}
