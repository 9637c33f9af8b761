/* keywords: the keywords of .mp, the one list.
 *
 * X(TOKEN, spelling, flags): the scanner recognises the spelling as token
 * TK_TOKEN (parse.c's parse_keyword), interpolations refuse it as a plain
 * name, and the KW_* flags (parse_impl.h) say how the scanner treats it.
 * The grammar declares each TOKEN as `%token TOKEN "'spelling'"` between
 * DEF and FALSE; test_lex checks that the two agree.
 *
 * KW_SOFT words are keywords only where a declaration can begin: at the
 * start of a statement and followed by a name (`start p`, `value v: int`,
 * `const N = 4`). Anywhere else they are ordinary names, as in Python
 * (`let start = 0`, `def join(...)`, `for value in xs`, `q: queue[int]`).
 * `true` and `false` are accepted as synonyms of True and False
 * (parse_keyword). */
#ifndef MPC_KEYWORDS_H
#define MPC_KEYWORDS_H

#define MPC_KEYWORDS(X)                       \
    X(DEF, "def", KW_STMT | KW_BLOCK)         \
    X(LET, "let", KW_STMT)                    \
    X(IF, "if", KW_STMT | KW_BLOCK)           \
    X(ELIF, "elif", KW_STMT | KW_BLOCK)       \
    X(ELSE, "else", KW_STMT | KW_BLOCK)       \
    X(WHILE, "while", KW_STMT | KW_BLOCK)     \
    X(FOR, "for", KW_STMT | KW_BLOCK)         \
    X(IN, "in", 0)                            \
    X(BREAK, "break", KW_STMT)                \
    X(CONTINUE, "continue", KW_STMT)          \
    X(RETURN, "return", KW_STMT)              \
    X(PASS, "pass", KW_STMT)                  \
    X(PIPE, "pipe", KW_SOFT)                  \
    X(QUEUE, "queue", KW_SOFT)                \
    X(VALUE, "value", KW_SOFT)                \
    X(ARRAY, "array", KW_SOFT)                \
    X(PROCESS, "process", KW_SOFT)            \
    X(START, "start", KW_SOFT)                \
    X(JOIN, "join", KW_SOFT)                  \
    X(LOCK, "lock", KW_SOFT | KW_BLOCK)       \
    X(CONST, "const", KW_SOFT)                \
    X(WITH, "with", KW_SOFT | KW_BLOCK)       \
    X(LOCKT, "Lock", KW_SOFT)                 \
    X(RLOCKT, "RLock", KW_SOFT)               \
    X(SEMAPHORE, "Semaphore", KW_SOFT)        \
    X(BSEM, "BoundedSemaphore", KW_SOFT)      \
    X(EVENT, "Event", KW_SOFT)                \
    X(CONDITION, "Condition", KW_SOFT)        \
    X(BARRIER, "Barrier", KW_SOFT)            \
    X(POOL, "Pool", KW_SOFT)                  \
    X(AS, "as", 0)                            \
    X(TRY, "try", KW_STMT | KW_BLOCK)         \
    X(EXCEPT, "except", KW_STMT | KW_BLOCK)   \
    X(FINALLY, "finally", KW_STMT | KW_BLOCK) \
    X(RAISE, "raise", KW_STMT)                \
    X(ASSERT, "assert", KW_STMT)              \
    X(DEL, "del", KW_STMT)                    \
    X(SELECT, "select", KW_SOFT | KW_BLOCK)   \
    X(CASE, "case", KW_SOFT | KW_BLOCK)       \
    X(EOFKW, "eof", KW_SOFT | KW_BLOCK)       \
    X(TIMEOUT, "timeout", KW_SOFT | KW_BLOCK) \
    X(AND, "and", KW_OP)                      \
    X(OR, "or", KW_OP)                        \
    X(NOT, "not", KW_OP)                      \
    X(IS, "is", KW_OP)                        \
    X(NONE, "None", 0)                        \
    X(TRUE, "True", 0)                        \
    X(FALSE, "False", 0)

#endif
