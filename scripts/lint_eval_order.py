#!/usr/bin/env python3
"""Finds calls in the code generator that pass two arguments each of which
calls a function with effects on the output (declaring a type, emitting a
statement, numbering a temporary). C leaves the order of arguments open, so
such a call makes the generated C depend on the C compiler that built mpc.
Prints each one as FILE:LINE and exits 1 if there is any."""
import glob
import os
import re
import sys

EFFECTS = {'tdesc', 'borrow', 'owned', 'borrow_as', 'seq_arg', 'hold', 'gen_expr', 'iter_list',
           'str_literal', 'new_tmp', 'convert', 'key_val', 'key_arg', 'gen_fstring', 'received',
           'timeout_arg', 'operand'}
CALLS = re.compile(r'\b([A-Za-z_]\w*)\(')
EFFECT = re.compile(r'\b(' + '|'.join(sorted(EFFECTS)) + r')\(')


def skip_literal(src, i):
    quote = src[i]
    i += 1
    while src[i] != quote:
        i += 2 if src[i] == '\\' else 1
    return i + 1


def arguments(src, i):
    """The top-level arguments of the call whose '(' ends just before I."""
    args, cur, depth = [], [], 1
    while depth:
        c = src[i]
        if c in '"\'':
            j = skip_literal(src, i)
            cur.append(src[i:j])
            i = j
            continue
        if c in '([{':
            depth += 1
        elif c in ')]}':
            depth -= 1
            if depth == 0:
                break
        if c == ',' and depth == 1:
            args.append(''.join(cur))
            cur = []
        else:
            cur.append(c)
        i += 1
    args.append(''.join(cur))
    return args


def main():
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
    found = 0
    for path in sorted(glob.glob(os.path.join(root, 'compiler', 'gen_*.c'))):
        src = re.sub(r'/\*.*?\*/', lambda m: re.sub(r'[^\n]', ' ', m.group()), open(path).read(),
                     flags=re.S)
        for m in CALLS.finditer(src):
            if m.group(1) in ('if', 'while', 'for', 'switch', 'return', 'sizeof'):
                continue
            try:
                args = arguments(src, m.end())
            except IndexError:
                continue
            if sum(1 for a in args if EFFECT.search(a)) >= 2:
                line = src.count('\n', 0, m.start()) + 1
                print(f"{os.path.relpath(path, root)}:{line}: '{m.group(1)}' is given two "
                      "arguments with effects; compute them into variables first")
                found += 1
    return 1 if found else 0


if __name__ == '__main__':
    sys.exit(main())
