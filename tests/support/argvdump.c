/* argvdump: write argv[0..argc-1] to the file named by $OUT, one argument per line, each
 * argument as lower-case hex of its bytes (an empty argument is an empty line).
 * Without $OUT the lines go to stdout.  Exit status: 0 written, 3 cannot open, 4 write error.
 *
 * Compiled, not a script: for a "#!" script the kernel replaces argv[0] with the interpreter's
 * view, and the test oracle must see the argv systemd passed to execve() byte for byte.
 */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    const char *path = getenv("OUT");
    FILE *out = path ? fopen(path, "w") : stdout;
    if (!out)
        return 3;
    for (int i = 0; i < argc; i++) {
        for (const unsigned char *p = (const unsigned char *) argv[i]; *p; p++)
            if (fprintf(out, "%02x", *p) < 0)
                return 4;
        if (fputc('\n', out) == EOF)
            return 4;
    }
    if (fflush(out) != 0 || (path && fclose(out) != 0))
        return 4;
    return 0;
}
