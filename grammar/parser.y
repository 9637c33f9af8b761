/* parser.y: the grammar of .mp files (bison 3.8, pure, with locations).
 *
 * One grammar serves two entry points, chosen by the first token the
 * scanner hands out: START_PROGRAM parses a whole file, START_EXPR one
 * expression (the `{...}` of an interpolated string, parsed in place with
 * spans in the original file).
 *
 * Statements end at NEWLINE or ';' (the scanner drops newlines inside
 * brackets and collapses blank lines). Syntax errors are reported by
 * yyreport_syntax_error in the user's words; `error` rules at statement
 * level resume at the next line, ';' or '}' (or parse the block that
 * follows), so one run reports several errors. Nodes live in the arena,
 * so nothing needs a %destructor. */

%require "3.8"
%define api.pure full
%define api.prefix {mpy}
%define api.token.prefix {TK_}
%define api.location.type {Span}
%define parse.error custom
/* Exact expected-token sets for the messages: canonical LR tables, and
 * default reductions only in states with nothing else to do, so an error
 * is detected in the state where the token stopped fitting. (LAC would do
 * the same with an exploration per token; this costs table size instead.) */
%define lr.type canonical-lr
%define lr.default-reduction consistent
%locations
%expect 0
%parse-param {Parser *P} {void *scanner}
%lex-param {void *scanner}

%code requires {
#include "parse_impl.h"
}

%union {
    Node *node;
    NodeList list;
    const char *name;
    Type *type;
    Op op;
}


%code {
#include <stdio.h>
#include <string.h>

#define YYLLOC_DEFAULT(Cur, Rhs, N)                                 \
    do {                                                            \
        if (N) {                                                    \
            (Cur).begin = YYRHSLOC(Rhs, 1).begin;                   \
            (Cur).end = YYRHSLOC(Rhs, N).end;                       \
        } else {                                                    \
            (Cur).begin = (Cur).end = YYRHSLOC(Rhs, 0).end;         \
        }                                                           \
    } while (0)

/* Bracket nesting is capped by the scanner, and right-nested operators
 * by PARSE_MAX_OPS, so the stack stays far below this. */
#define YYMAXDEPTH 100000

static void mpyerror(const Span *at, Parser *P, void *scanner, const char *msg);

static Node *mk(Parser *P, NodeKind kind, Span at) {
    return parse_node(P, kind, at);
}

/* `pipe a, b: T` or `pipe a[N], b[N]: T`: the counts of an array of pipes
 * in rhs (A's) and lhs (B's), checked by sema. */
static Node *mk_pipe(Parser *P, Node *a, Node *b, Type *t, Span type_at, Span at) {
    Node *n = mk(P, ND_PIPE, at);
    n->name = a->name;
    n->name_span = a->name_span;
    n->name2 = b->name;
    n->name2_span = b->name_span;
    n->decl_type = t;
    n->type_span = type_at;
    n->rhs = a->rhs;
    n->lhs = b->rhs;
    if (!a->rhs != !b->rhs)
        parse_error(P, a->rhs ? b->name_span : a->name_span,
                    "both ends of an array of pipes have its size, as in 'pipe %s[4], %s[4]: int'",
                    a->name, b->name);
    return n;
}

static Node *mk_unary(Parser *P, Op op, Node *e, Span at) {
    Node *n = mk(P, ND_UNARY, at);
    n->op = op;
    n->lhs = e;
    return n;
}

static Node *mk_bin(Parser *P, Op op, Node *l, Node *r, Span at) {
    Node *n = mk(P, ND_BINARY, at);
    n->op = op;
    n->lhs = l;
    n->rhs = r;
    return n;
}

static Node *mk_slice(Parser *P, Node *obj, Node *lo, Node *hi, Node *step, Span at) {
    Node *n = mk(P, ND_SLICE, at);
    n->lhs = obj;
    n->lo = lo;
    n->hi = hi;
    n->step = step;
    return n;
}

/* Comprehension clauses are collected last first (through next), so that
 * mk_comp can nest them from the innermost out. */
static Node *mk_comp_for(Parser *P, Node *prev, const char *name, Span name_at, Node *iter,
                         Span for_at) {
    Node *n = mk(P, ND_FOR, (Span){for_at.begin, iter->span.end});
    n->name = name;
    n->name_span = name_at;
    n->rhs = iter;
    n->next = prev;
    return n;
}

/* `for a, b in it` as a clause: the clause iterates a hidden variable, and
 * the lets that unpack it wait in lhs until mk_comp starts its body with
 * them. */
static Node *mk_comp_for_unpack(Parser *P, Node *prev, const char *name, Span name_at,
                                Node *rest, Node *iter, Span for_at) {
    Node *first = mk(P, ND_NAME, name_at);
    first->name = name;
    first->next = rest;
    Node *n = mk_comp_for(P, prev, name, name_at, iter, for_at);
    n->lhs = parse_comp_unpack(P, n, first);
    return n;
}

static Node *mk_comp_if(Parser *P, Node *prev, Node *cond, Span if_at) {
    Node *n = mk(P, ND_IF, (Span){if_at.begin, cond->span.end});
    n->cond = cond;
    n->next = prev;
    return n;
}

/* [elem clauses], {elem clauses}, {elem: value clauses}: the loop that
 * fills the list, set or dict, the element's push innermost. */
static Node *mk_comp(Parser *P, Node *elem, Node *value, Node *clauses, Span at) {
    Node *inner = mk(P, ND_COMP_PUSH, value ? span_join(elem->span, value->span) : elem->span);
    inner->lhs = elem;
    inner->rhs = value; /* a dict comprehension's value */
    for (Node *c = clauses, *prev; c; c = prev) {
        prev = c->next;
        c->next = NULL;
        Node *blk = mk(P, ND_BLOCK, inner->span);
        blk->body = inner;
        if (c->kind == ND_FOR && c->lhs) { /* the unpacking lets first */
            Node *last = c->lhs;
            while (last->next) last = last->next;
            last->next = inner;
            blk->body = c->lhs;
            c->lhs = NULL;
        }
        if (c->kind == ND_FOR) c->body = blk;
        else c->then = blk;
        inner = c;
    }
    Node *n = mk(P, ND_LISTCOMP, at);
    n->body = inner;
    return n;
}

/* N may be a chain of statements (an unpacking): the tail is its last. */
static NodeList list1(Node *n) {
    NodeList l = {n, n};
    while (l.tail && l.tail->next) l.tail = l.tail->next;
    return l;
}

static NodeList list_add(NodeList l, Node *n) {
    if (!n) return l;
    if (!l.head) return list1(n);
    l.tail->next = n;
    l.tail = n;
    while (l.tail->next) l.tail = l.tail->next;
    return l;
}

/* Leaves error recovery (yyerrok), so that the next error is reported at
 * once instead of after three good tokens, but only when the lookahead
 * ends the statement and the enclosing list shifts it next. A bare `error`
 * alternative consumes no token: resetting on any other lookahead would
 * re-reduce `error` on it forever. */
#define RESYNC(in_block)                                                    \
    do {                                                                    \
        if (P->keep_recovering)                                             \
            P->keep_recovering = false;                                     \
        else if (yychar == TK_NEWLINE || yychar == TK_SEMI ||               \
                 ((in_block) ? yychar == TK_RC : yychar == TK_END))         \
            yyerrok;                                                        \
    } while (0)

/* An operand that might be the literal 9223372036854775808: checked once
 * it is used as anything but the operand of a unary minus. */
#define BIG(n) ((n)->kind == ND_INT && (n)->ival == INT64_MIN ? parse_check_literal(P, (n)) : (n))

static void add_top(Parser *P, Node *n) {
    ParseShared *sh = P->sh;
    if (!n) return;
    if (n->kind == ND_DEF) {
        if (sh->defs_tail) sh->defs_tail->next = n; else sh->defs = n;
        sh->defs_tail = n;
    } else {
        if (sh->top_tail) sh->top_tail->next = n; else sh->top = n;
        sh->top_tail = n;
        while (sh->top_tail->next) sh->top_tail = sh->top_tail->next; /* an unpacking */
    }
}

/* A statement made of expression E. `p.start()`, Python's spelling, is
 * `start p`: one rule for both (top level only, once, before any join). */
static Node *expr_stmt(Parser *P, Node *e, Span at) {
    Node *m = e && e->kind == ND_CALL ? e->callee : NULL;
    if (m && m->kind == ND_MEMBER && !e->args && strcmp(m->name, "start") == 0 &&
        (m->lhs->kind == ND_NAME ||
         (m->lhs->kind == ND_INDEX && m->lhs->lhs->kind == ND_NAME && !m->lhs->parens))) {
        Node *n = mk(P, ND_START, at);
        n->targets = m->lhs;
        return n;
    }
    Node *n = mk(P, ND_EXPR_STMT, at);
    n->lhs = e;
    return n;
}

/* "A.B", in the arena: a kind's name as Python's module spells it. */
static const char *dotted(Parser *P, const char *a, const char *b) {
    size_t na = strlen(a), nb = strlen(b);
    char *s = arena_alloc_aligned(P->sh->arena, na + nb + 2, 1);
    memcpy(s, a, na);
    s[na] = '.';
    memcpy(s + na + 1, b, nb + 1);
    return s;
}

static void not_top(Parser *P, Node *n);

/* A top-level-only statement inside a block: `start w[i]` and `join w[i]`
 * stay (sema allows members of groups there), and so do process
 * declarations, starts and joins directly in a def's body (its own
 * processes); the others are refused. */
static Node *in_block(Parser *P, Node *n) {
    if (n && (n->kind == ND_PROCESS || n->kind == ND_START || n->kind == ND_JOIN) &&
        P->def_blocks && P->blocks == P->def_blocks)
        return n;
    if (n && (n->kind == ND_START || n->kind == ND_JOIN)) {
        bool members = true;
        for (Node *t = n->targets; t; t = t->next) members = members && t->kind == ND_INDEX;
        if (members) return n;
    }
    not_top(P, n);
    return NULL;
}

/* A declaration, start, join or def inside a block. */
static void not_top(Parser *P, Node *n) {
    if (!n) return;
    const char *what = "this declaration";
    switch (n->kind) {
    case ND_DEF:
        parse_error(P, (Span){n->span.begin, n->span.begin + 3},
                    "'def' is only allowed at the top level of the program "
                    "(functions cannot be nested)");
        return;
    case ND_PIPE: what = "'pipe'"; break;
    case ND_QUEUE: what = "'queue'"; break;
    case ND_VALUE: what = "'value'"; break;
    case ND_ARRAY: what = "'array'"; break;
    case ND_PROCESS: what = "'process'"; break;
    case ND_START: what = "'start'"; break;
    case ND_JOIN: what = "'join'"; break;
    case ND_CONST: what = "'const'"; break;
    case ND_SYNC: {
        static const char *const words[] = {"'Lock'",  "'RLock'",     "'Semaphore'",
                                            "'BoundedSemaphore'", "'Event'", "'Condition'",
                                            "'Barrier'"};
        what = n->decl_type->kind == TY_POOL ? "'Pool'" : words[n->decl_type->kind - TY_LOCK];
        break;
    }
    default: break;
    }
    Span at = n->span;
    at.end = at.begin + (uint32_t)strlen(what) - 2;
    bool proc = n->kind == ND_PROCESS || n->kind == ND_START || n->kind == ND_JOIN;
    if (P->def_blocks && proc) {
        parse_error(P, at,
                    "%s stands directly in a def's body or at the top level of the program, "
                    "not in a block",
                    what);
        if (n->kind == ND_PROCESS)
            parse_note(P, at, "to start a process only sometimes, return early: 'if ... { return }'");
        else
            parse_note(P, at, "in a block, %s one member of a group at a time: '%s w[i]'",
                       n->kind == ND_START ? "start" : "join",
                       n->kind == ND_START ? "start" : "join");
        return;
    }
    parse_error(P, at, "%s is only allowed at the top level of the program", what);
    if (P->def_blocks && n->kind != ND_CONST)
        parse_note(P, at, "declare it at the top level and pass it to the def as a parameter");
}
}

%token END 0 "end of file"
%token START_PROGRAM "start of program" START_EXPR "start of expression"
%token NEWLINE "end of line"
%token INVALID "invalid character"
%token <name> IDENT "name"
%token JOINABLE "'joinable'"  /* the word right after a type (lexer.l) */
%token <node> INT "integer" FLOAT "float" STRING "string"
%token <op> AUGASSIGN "augmented assignment"
%token DEF "'def'" LET "'let'" IF "'if'" ELIF "'elif'" ELSE "'else'"
       WHILE "'while'" FOR "'for'" IN "'in'" BREAK "'break'"
       CONTINUE "'continue'" RETURN "'return'" PASS "'pass'" PIPE "'pipe'"
       QUEUE "'queue'" VALUE "'value'" ARRAY "'array'" PROCESS "'process'"
       START "'start'" JOIN "'join'" LOCK "'lock'" CONST "'const'"
       WITH "'with'" LOCKT "'Lock'" RLOCKT "'RLock'" SEMAPHORE "'Semaphore'"
       BSEM "'BoundedSemaphore'" EVENT "'Event'" CONDITION "'Condition'"
       BARRIER "'Barrier'" POOL "'Pool'" AS "'as'"
       TRY "'try'" EXCEPT "'except'" FINALLY "'finally'" RAISE "'raise'" ASSERT "'assert'" DEL "'del'"
       SELECT "'select'" CASE "'case'" EOFKW "'eof'" TIMEOUT "'timeout'"
       AND "'and'" OR "'or'" NOT "'not'" IS "'is'" NONE "'None'"
       TRUE "'True'" FALSE "'False'"
%token ARROW "'->'" POW "'**'" FLOORDIV "'//'" SHL "'<<'" SHR "'>>'"
       EQ "'=='" NE "'!='" LE "'<='" GE "'>='" LT "'<'" GT "'>'"
       LP "'('" RP "')'" LB "'['" RB "']'" LC "'{'" RC "'}'" LD "'{...}'"
       COMMA "','" COLON "':'" SEMI "';'" DOT "'.'" ASSIGN "'='"
       PLUS "'+'" MINUS "'-'" STAR "'*'" SLASH "'/'" PERCENT "'%'"
       AMP "'&'" BAR "'|'" CARET "'^'" TILDE "'~'"

%type <node> inner_line simple compound def toponly
%type <node> decl_name block else_part param target_name handler exc_kind queue_kind try_else try_finally
%type <list> handlers exc_kinds exc_kind_list sel_seq
%type <node> sel_line array_opt
%type <node> test arith primary arg
%type <node> opt_test comp_clauses
%type <list> pairs
%type <list> stmt_seq params param_list name_list proc_opts elems args arg_list
%type <node> exprs
%type <type> type ret opt_type tuple_types sync_kind

%left OR
%left AND
%precedence NOT
%nonassoc EQ NE LT LE GT GE IN IS
%left BAR
%left CARET
%left AMP
%left SHL SHR
%left PLUS MINUS
%left STAR SLASH FLOORDIV PERCENT
%precedence UNARY
%precedence POW


%%

start:
    START_PROGRAM top_seq
  | START_EXPR test                 { P->expr = $2; }
  ;

/* ---- the program and blocks: items separated by NEWLINE or ';' ------- */

top_seq:
    top_line
  | top_seq NEWLINE top_line
  | top_seq SEMI top_line
  ;

/* Flat alternatives: each level of unit rules costs a reduction per line. */
top_line:
    %empty
  | simple                          { add_top(P, $1); }
  | compound                        { add_top(P, $1); }
  | def                             { add_top(P, $1); }
  | toponly                         { add_top(P, $1); }
  | error                           { RESYNC(0); P->blocks = P->def_blocks = 0; }
  | error block else_part           { RESYNC(0); P->blocks = P->def_blocks = 0; }
  ;

block:
    LC { P->blocks++; } stmt_seq RC {
        $$ = mk(P, ND_BLOCK, @$); $$->body = $3.head;
        if (P->blocks > 0) P->blocks--;
    }
  ;

stmt_seq:
    inner_line                      { $$ = $1 ? list1($1) : (NodeList){NULL, NULL}; }
  | stmt_seq NEWLINE inner_line     { $$ = list_add($1, $3); }
  | stmt_seq SEMI inner_line        { $$ = list_add($1, $3); }
  ;

inner_line:
    %empty                          { $$ = NULL; }
  | simple
  | compound
  | def                             { not_top(P, $1); $$ = NULL; }
  | toponly                         { $$ = in_block(P, $1); }
  | error                           { RESYNC(1); $$ = NULL; }
  | error block else_part           { RESYNC(1); $$ = NULL; }
  ;

/* ---- statements ------------------------------------------------------- */

simple:
    LET IDENT opt_type ASSIGN test {
        $$ = mk(P, ND_LET, @$);
        $$->name = $2; $$->name_span = @2;
        $$->decl_type = $3; if ($3) $$->type_span = @3;
        $$->rhs = $5;
    }
  | LET IDENT opt_type ASSIGN exprs {
        $$ = mk(P, ND_LET, @$);
        $$->name = $2; $$->name_span = @2;
        $$->decl_type = $3; if ($3) $$->type_span = @3;
        $$->rhs = $5;
    }
  | LET IDENT COMMA name_list ASSIGN test {
        Node *first = mk(P, ND_NAME, @2);
        first->name = $2; first->next = $4.head;
        $$ = parse_unpack(P, first, $6, true, @$);
    }
  | LET IDENT COMMA name_list ASSIGN exprs {
        Node *first = mk(P, ND_NAME, @2);
        first->name = $2; first->next = $4.head;
        $$ = parse_unpack(P, first, $6, true, @$);
    }
  | test                            { $$ = expr_stmt(P, $1, @$); }
  | test ASSIGN test {
        parse_check_target(P, $1);
        $$ = mk(P, ND_ASSIGN, @$); $$->op = OP_NONE; $$->lhs = $1; $$->rhs = $3;
    }
  | test ASSIGN exprs {
        parse_check_target(P, $1);
        $$ = mk(P, ND_ASSIGN, @$); $$->op = OP_NONE; $$->lhs = $1; $$->rhs = $3;
    }
  | exprs ASSIGN test               { $$ = parse_unpack(P, $1->elems, $3, false, @$); }
  | exprs ASSIGN exprs              { $$ = parse_unpack(P, $1->elems, $3, false, @$); }
  | RETURN exprs                    { $$ = mk(P, ND_RETURN, @$); $$->lhs = $2; }
  | test AUGASSIGN test {
        parse_check_target(P, $1);
        $$ = mk(P, ND_ASSIGN, @$); $$->op = $2; $$->lhs = $1; $$->rhs = $3;
    }
  | RETURN                          { $$ = mk(P, ND_RETURN, @$); }
  | RETURN test                     { $$ = mk(P, ND_RETURN, @$); $$->lhs = $2; }
  | BREAK                           { $$ = mk(P, ND_BREAK, @$); }
  | CONTINUE                        { $$ = mk(P, ND_CONTINUE, @$); }
  | PASS                            { $$ = mk(P, ND_PASS, @$); }
  | RAISE                           { $$ = mk(P, ND_RAISE, @$); }
  | RAISE test                      { $$ = mk(P, ND_RAISE, @$); $$->lhs = $2; }
  | RAISE queue_kind                { $$ = mk(P, ND_RAISE, @$); $$->lhs = $2; }
  | RAISE queue_kind LP args RP {
        $$ = mk(P, ND_RAISE, @$);
        $$->lhs = mk(P, ND_CALL, span_join(@2, @5));
        $$->lhs->callee = $2; $$->lhs->args = $4.head;
    }
  | ASSERT test                     { $$ = mk(P, ND_ASSERT, @$); $$->lhs = $2; }
  | ASSERT test COMMA test          { $$ = mk(P, ND_ASSERT, @$); $$->lhs = $2; $$->rhs = $4; }
  | DEL elems                       { $$ = mk(P, ND_DEL, @$); $$->targets = $2.head; }
  | DEL elems COMMA                 { $$ = mk(P, ND_DEL, @$); $$->targets = $2.head; }
  ;

opt_type:
    %empty                          { $$ = NULL; }
  | COLON type                      { $$ = $2; @$ = @2; }
  ;

compound:
    IF test block else_part {
        $$ = mk(P, ND_IF, @$); $$->cond = $2; $$->then = $3; $$->els = $4;
    }
  | WHILE test block                { $$ = mk(P, ND_WHILE, @$); $$->cond = $2; $$->body = $3; }
  | FOR IDENT IN test block {
        $$ = mk(P, ND_FOR, @$);
        $$->name = $2; $$->name_span = @2; $$->rhs = $4; $$->body = $5;
    }
  | FOR IDENT COMMA name_list IN test block {
        Node *first = mk(P, ND_NAME, @2);
        first->name = $2; first->next = $4.head;
        $$ = parse_for_unpack(P, first, $6, $7, @$);
    }
  | LOCK test block                 { $$ = mk(P, ND_LOCK, @$); $$->lhs = $2; $$->body = $3; }
  | WITH test block {
        $$ = mk(P, ND_LOCK, @$); $$->lhs = $2; $$->body = $3; $$->with = true;
    }
  | TRY block handlers try_else try_finally {
        $$ = mk(P, ND_TRY, @$);
        $$->lhs = $2; $$->then = $3.head; $$->els = $4; $$->rhs = $5;
        if (!$3.head && !$5)
            parse_error(P, @1, "'try' needs an 'except' or a 'finally' block after its block");
        else if (!$3.head && $4)
            parse_error(P, @4, "'else' after 'try' needs an 'except' block before it");
    }
  | SELECT LC sel_seq RC            { $$ = mk(P, ND_SELECT, @$); $$->body = $3.head; }
  ;

/* The cases of a select, one a line (empty lines allowed). */
sel_seq:
    sel_line                        { $$ = $1 ? list1($1) : (NodeList){NULL, NULL}; }
  | sel_seq NEWLINE sel_line        { $$ = $3 ? list_add($1, $3) : $1; }
  | sel_seq SEMI sel_line           { $$ = $3 ? list_add($1, $3) : $1; }
  ;

sel_line:
    %empty                          { $$ = NULL; }
  | CASE IDENT opt_type ASSIGN test block {
        $$ = mk(P, ND_CASE, @$); $$->argc = CASE_RECV; $$->rhs = $5; $$->body = $6;
        $$->lhs = mk(P, ND_LET, span_join(@2, @5));
        $$->lhs->name = $2; $$->lhs->name_span = @2;
        $$->lhs->decl_type = $3; if ($3) $$->lhs->type_span = @3;
    }
  | CASE test block                 { $$ = mk(P, ND_CASE, @$); $$->argc = CASE_RECV; $$->rhs = $2; $$->body = $3; }
  | EOFKW test block                { $$ = mk(P, ND_CASE, @$); $$->argc = CASE_EOF; $$->rhs = $2; $$->body = $3; }
  | TIMEOUT test block              { $$ = mk(P, ND_CASE, @$); $$->argc = CASE_TIMEOUT; $$->rhs = $2; $$->body = $3; }
  | error                           { RESYNC(1); $$ = NULL; }
  | error block                     { RESYNC(1); $$ = NULL; }
  ;

handlers:
    %empty                          { $$.head = $$.tail = NULL; }
  | handlers handler                { $$ = list_add($1, $2); }
  ;

handler:
    EXCEPT block                    { $$ = mk(P, ND_EXCEPT, @1); $$->body = $2; }
  | EXCEPT exc_kinds block          { $$ = mk(P, ND_EXCEPT, @1); $$->lhs = $2.head; $$->body = $3; }
  | EXCEPT exc_kinds AS IDENT block {
        $$ = mk(P, ND_EXCEPT, @1);
        $$->lhs = $2.head; $$->name = $4; $$->name_span = @4; $$->body = $5;
    }
  ;

exc_kinds:
    exc_kind                        { $$ = list1($1); }
  | LP exc_kind_list RP             { $$ = $2; }
  | LP exc_kind_list COMMA RP       { $$ = $2; }
  ;

exc_kind_list:
    exc_kind                        { $$ = list1($1); }
  | exc_kind_list COMMA exc_kind    { $$ = list_add($1, $3); }
  ;

/* A kind's name; queue's are also written queue.Empty, as in Python. */
exc_kind:
    IDENT                           { $$ = mk(P, ND_NAME, @$); $$->name = $1; }
  | IDENT DOT IDENT                 { $$ = mk(P, ND_NAME, @$); $$->name = dotted(P, $1, $3); }
  | queue_kind
  ;

queue_kind:
    QUEUE DOT IDENT {
        $$ = mk(P, ND_NAME, @$);
        $$->name = dotted(P, "queue", $3);
    }
  ;

try_else:
    %empty                          { $$ = NULL; }
  | ELSE block                      { $$ = $2; @$ = @1; }
  ;

try_finally:
    %empty                          { $$ = NULL; }
  | FINALLY block                   { $$ = $2; }
  ;

/* Right-recursive, but each `elif` is counted as nesting by the scanner. */
else_part:
    %empty                          { $$ = NULL; }
  | ELSE block                      { $$ = $2; }
  | ELIF test block else_part {
        $$ = mk(P, ND_IF, @$); $$->cond = $2; $$->then = $3; $$->els = $4;
    }
  ;

/* ---- definitions and top-level declarations --------------------------- */

def:
    DEF IDENT LP params RP ret { P->def_blocks = P->blocks + 1; } block {
        $$ = mk(P, ND_DEF, @$);
        $$->name = $2; $$->name_span = @2;
        $$->params = $4.head;
        $$->ret_type = $6; if ($6) $$->type_span = @6;
        $$->body = $8;
        P->def_blocks = 0;
    }
  ;

params:
    %empty                          { $$.head = $$.tail = NULL; }
  | param_list
  | param_list COMMA
  ;

param_list:
    param                           { $$ = list1($1); }
  | param_list COMMA param          { $$ = list_add($1, $3); }
  ;

param:
    IDENT COLON type {
        $$ = mk(P, ND_PARAM, @$);
        $$->name = $1; $$->name_span = @1; $$->decl_type = $3; $$->type_span = @3;
    }
  ;

ret:
    %empty                          { $$ = NULL; }
  | ARROW type                      { $$ = $2; @$ = @2; }
  | ARROW NONE                      { $$ = NULL; }  /* Python's `-> None`: no value */
  ;

/* queue[T], value[T] and array[T] too: a soft keyword is a name here. */
type:
    IDENT                           { $$ = parse_type_name(P, $1, @1); }
  | IDENT LB type RB                { $$ = parse_type_generic(P, $1, @1, $3); }
  | type BAR NONE                   { $$ = parse_type_optional(P, $1, @$); }
  | type JOINABLE                   { $$ = parse_type_joinable(P, $1, @2); }
  | LP tuple_types RP               { $$ = $2; }
  | LP type COMMA RP                { $$ = parse_type_tuple(NULL, $2); }
  | IDENT LB LP RP RB {
        $$ = type_tuple(NULL, 0);   /* tuple[()], Python's empty tuple type */
        if (strcmp($1, "tuple") != 0) {
            parse_error(P, @1, "only 'tuple' takes '()', as in 'tuple[()]'");
            $$ = type_basic(TY_ERROR);
        }
    }
  | IDENT LB tuple_types RB {
        $$ = $3;
        if (strcmp($1, "dict") == 0) {
            $$ = parse_type_dict(P, $3, @1);
        } else if (strcmp($1, "tuple") != 0) {
            parse_error(P, @1, "only 'tuple' takes several types, as in 'tuple[int, str]'");
            $$ = type_basic(TY_ERROR);
        }
    }
  ;

/* two or more types, as a tuple type */
tuple_types:
    type COMMA type                 { $$ = parse_type_tuple(parse_type_tuple(NULL, $1), $3); }
  | tuple_types COMMA type          { $$ = parse_type_tuple($1, $3); }
  ;

/* `a, b` and `a,` without brackets: a tuple (assignments, return) */
exprs:
    test COMMA                      { $$ = mk(P, ND_TUPLE, @$); $$->elems = $1; }
  | test COMMA elems {
        $$ = mk(P, ND_TUPLE, @$); $$->elems = $1; $1->next = $3.head;
    }
  | test COMMA elems COMMA {
        $$ = mk(P, ND_TUPLE, @$); $$->elems = $1; $1->next = $3.head;
    }
  ;

toponly:
    START name_list                 { $$ = mk(P, ND_START, @$); $$->targets = $2.head; }
  | JOIN name_list                  { $$ = mk(P, ND_JOIN, @$); $$->targets = $2.head; }

  | PIPE decl_name COMMA decl_name COLON type {
        $$ = mk_pipe(P, $2, $4, $6, @6, @$);
    }
  | PIPE decl_name ARROW decl_name COLON type {
        $$ = mk_pipe(P, $2, $4, $6, @6, @$); $$->oneway = true;
    }
    /* `T` or `T[bound]`: parsed as an expression, then split (see
     * parse_type_expr), since `str[n]` and `list[int]` look alike. */
  | QUEUE decl_name COLON primary {
        $$ = mk(P, ND_QUEUE, @$);
        $$->name = $2->name; $$->name_span = $2->name_span; $$->rhs = $2->rhs;
        $$->decl_type = parse_type_expr(P, $4, &$$->lhs, &$$->type_span);
    }
  | QUEUE decl_name COLON primary JOINABLE {
        $$ = mk(P, ND_QUEUE, @$);
        $$->name = $2->name; $$->name_span = $2->name_span; $$->rhs = $2->rhs;
        $$->decl_type = parse_type_expr(P, $4, &$$->lhs, &$$->type_span);
        $$->joinable = true;
    }
  | QUEUE decl_name COLON primary BAR NONE JOINABLE {
        $$ = mk(P, ND_QUEUE, @$);
        $$->name = $2->name; $$->name_span = $2->name_span; $$->rhs = $2->rhs;
        Type *t = parse_type_expr(P, $4, &$$->lhs, &$$->type_span);
        $$->type_span = span_join($$->type_span, @6);
        $$->decl_type = parse_type_optional(P, t, $$->type_span);
        if ($$->lhs)
            parse_error(P, $$->lhs->span, "a bound goes after the whole type, as in "
                        "'queue %s: (int | None)[10]'", $2->name);
        $$->joinable = true;
    }
  | QUEUE decl_name COLON primary BAR NONE {
        $$ = mk(P, ND_QUEUE, @$);
        $$->name = $2->name; $$->name_span = $2->name_span; $$->rhs = $2->rhs;
        Type *t = parse_type_expr(P, $4, &$$->lhs, &$$->type_span);
        $$->type_span = span_join($$->type_span, @6);
        $$->decl_type = parse_type_optional(P, t, $$->type_span);
        if ($$->lhs)
            parse_error(P, $$->lhs->span, "a bound goes after the whole type, as in "
                        "'queue %s: (int | None)[10]'", $2->name);
    }
  | VALUE IDENT COLON type {
        $$ = mk(P, ND_VALUE, @$);
        $$->name = $2; $$->name_span = @2; $$->decl_type = $4; $$->type_span = @4;
    }
  | VALUE IDENT COLON type ASSIGN test {
        $$ = mk(P, ND_VALUE, @$);
        $$->name = $2; $$->name_span = @2; $$->decl_type = $4; $$->type_span = @4;
        $$->rhs = $6;
    }
  | ARRAY IDENT COLON primary array_opt {
        $$ = mk(P, ND_ARRAY, @$);
        $$->name = $2; $$->name_span = @2; $$->lock_opt = $5;
        $$->decl_type = parse_type_expr(P, $4, &$$->lhs, &$$->type_span);
        if (!$$->lhs)
            parse_error(P, @4, "array '%s' needs a size, as in 'array %s: int[10]', "
                        "or an initial list, as in 'array %s: int = [1, 2]'", $2, $2, $2);
    }
  | ARRAY IDENT COLON primary ASSIGN test array_opt {
        $$ = mk(P, ND_ARRAY, @$);
        $$->name = $2; $$->name_span = @2; $$->lock_opt = $7;
        $$->decl_type = parse_type_expr(P, $4, &$$->lhs, &$$->type_span);
        $$->rhs = $6;
        if ($$->lhs)
            parse_error(P, $$->lhs->span, "an array takes a size or an initial list, "
                        "not both");
    }
  | sync_kind IDENT {
        $$ = mk(P, ND_SYNC, @$);
        $$->name = $2; $$->name_span = @2; $$->decl_type = $1; $$->type_span = @1;
    }
  | sync_kind IDENT ASSIGN test {
        $$ = mk(P, ND_SYNC, @$);
        $$->name = $2; $$->name_span = @2; $$->decl_type = $1; $$->type_span = @1;
        $$->rhs = $4;
    }
  | CONST IDENT ASSIGN test {
        $$ = mk(P, ND_CONST, @$);
        $$->name = $2; $$->name_span = @2; $$->rhs = $4;
    }
  | PROCESS IDENT ASSIGN test proc_opts {
        $$ = mk(P, ND_PROCESS, @$);
        $$->name = $2; $$->name_span = @2; $$->rhs = $4; $$->body = $5.head;
        if ($4->kind != ND_CALL)
            parse_error(P, @4, "a process runs a function call, as in "
                        "'process %s = worker(...)'", $2);
    }
  | PROCESS IDENT LB test RB ASSIGN test proc_opts {
        $$ = mk(P, ND_PROCESS, @$);
        $$->name = $2; $$->name_span = @2; $$->lhs = $4; $$->rhs = $7; $$->body = $8.head;
        if ($7->kind != ND_CALL)
            parse_error(P, @7, "a process runs a function call, as in "
                        "'process %s[N] = worker(...)'", $2);
    }
  | PROCESS IDENT LB test RB AS IDENT ASSIGN test proc_opts {
        $$ = mk(P, ND_PROCESS, @$);
        $$->name = $2; $$->name_span = @2; $$->lhs = $4; $$->rhs = $9; $$->body = $10.head;
        $$->index_name = $7; $$->index_span = @7;
        if ($9->kind != ND_CALL)
            parse_error(P, @9, "a process runs a function call, as in "
                        "'process %s[N] as %s = worker(%s)'", $2, $7, $7);
    }
  ;

/* `, name="w", daemon=True` after a process's call: Process()'s keywords */
/* `, lock=False` after an array's size or initial list (checked by sema) */
array_opt:
    %empty                          { $$ = NULL; }
  | COMMA IDENT ASSIGN test {
        $$ = mk(P, ND_KWARG, span_join(@2, @4));
        $$->name = $2; $$->name_span = @2; $$->lhs = $4;
    }
  ;

proc_opts:
    %empty                          { $$.head = $$.tail = NULL; }
  | proc_opts COMMA IDENT ASSIGN test {
        Node *k = mk(P, ND_KWARG, span_join(@3, @5));
        k->name = $3; k->name_span = @3; k->lhs = $5;
        $$ = $1.head ? list_add($1, k) : list1(k);
    }
  ;

sync_kind:
    LOCKT                           { $$ = type_basic(TY_LOCK); }
  | RLOCKT                          { $$ = type_basic(TY_RLOCK); }
  | SEMAPHORE                       { $$ = type_basic(TY_SEMAPHORE); }
  | BSEM                            { $$ = type_basic(TY_BSEMAPHORE); }
  | EVENT                           { $$ = type_basic(TY_EVENT); }
  | CONDITION                       { $$ = type_basic(TY_CONDITION); }
  | BARRIER                         { $$ = type_basic(TY_BARRIER); }
  | POOL                            { $$ = type_basic(TY_POOL); }
  ;

/* A pipe end's or queue's name, `NAME[N]` for an array of N: a scratch
 * node (ND_KWARG holds a name and its span) with the count in rhs. */
decl_name:
    IDENT                           { $$ = mk(P, ND_KWARG, @$); $$->name = $1; $$->name_span = @1; }
  | IDENT LB test RB {
        $$ = mk(P, ND_KWARG, @$); $$->name = $1; $$->name_span = @1; $$->rhs = $3;
    }
  ;

name_list:
    target_name                     { $$ = list1($1); }
  | name_list COMMA target_name     { $$ = list_add($1, $3); }
  ;

target_name:
    IDENT                           { $$ = mk(P, ND_NAME, @$); $$->name = $1; }
  | IDENT LB test RB {              /* one member of a group: `start w[i]` */
        Node *g = mk(P, ND_NAME, @1); g->name = $1;
        $$ = mk(P, ND_INDEX, @$); $$->lhs = g; $$->rhs = $3;
    }
  ;


/* ---- expressions ------------------------------------------------------
 *
 * Python's precedence, through the precedence declarations above: `not`
 * sits in `test`, above the comparisons, so `a == not b` is refused as in
 * Python; everything tighter is one `arith` nonterminal, so an operand
 * costs one reduction. Comparisons are non-associative: a chain is a
 * syntax error that yyreport_syntax_error words. A literal
 * 9223372036854775808 is only valid right after a unary minus: BIG()
 * refuses it everywhere else it can be consumed. */

test:
    test OR test                    { $$ = mk_bin(P, OP_OR, $1, $3, @$); }
  | test AND test                   { $$ = mk_bin(P, OP_AND, $1, $3, @$); }
  | NOT test                        { $$ = mk_unary(P, OP_NOT, $2, @$); }
  | arith                           { $$ = BIG($1); }
  ;

arith:
    arith EQ arith                  { $$ = mk_bin(P, OP_EQ, BIG($1), BIG($3), @$); }
  | arith NE arith                  { $$ = mk_bin(P, OP_NE, BIG($1), BIG($3), @$); }
  | arith LT arith                  { $$ = mk_bin(P, OP_LT, BIG($1), BIG($3), @$); }
  | arith LE arith                  { $$ = mk_bin(P, OP_LE, BIG($1), BIG($3), @$); }
  | arith GT arith                  { $$ = mk_bin(P, OP_GT, BIG($1), BIG($3), @$); }
  | arith GE arith                  { $$ = mk_bin(P, OP_GE, BIG($1), BIG($3), @$); }
  | arith IN arith                  { $$ = mk_bin(P, OP_IN, BIG($1), BIG($3), @$); }
  | arith NOT IN arith { $$ = mk_bin(P, OP_NOTIN, BIG($1), BIG($4), @$); }
  | arith IS arith                  { $$ = mk_bin(P, OP_IS, BIG($1), BIG($3), @$); }
  | arith IS NOT arith %prec IS     { $$ = mk_bin(P, OP_ISNOT, BIG($1), BIG($4), @$); }
  | arith BAR arith                 { $$ = mk_bin(P, OP_BITOR, BIG($1), BIG($3), @$); }
  | arith CARET arith               { $$ = mk_bin(P, OP_BITXOR, BIG($1), BIG($3), @$); }
  | arith AMP arith                 { $$ = mk_bin(P, OP_BITAND, BIG($1), BIG($3), @$); }
  | arith SHL arith                 { $$ = mk_bin(P, OP_SHL, BIG($1), BIG($3), @$); }
  | arith SHR arith                 { $$ = mk_bin(P, OP_SHR, BIG($1), BIG($3), @$); }
  | arith PLUS arith                { $$ = mk_bin(P, OP_ADD, BIG($1), BIG($3), @$); }
  | arith MINUS arith               { $$ = mk_bin(P, OP_SUB, BIG($1), BIG($3), @$); }
  | arith STAR arith                { $$ = mk_bin(P, OP_MUL, BIG($1), BIG($3), @$); }
  | arith SLASH arith               { $$ = mk_bin(P, OP_DIV, BIG($1), BIG($3), @$); }
  | arith FLOORDIV arith            { $$ = mk_bin(P, OP_FLOORDIV, BIG($1), BIG($3), @$); }
  | arith PERCENT arith             { $$ = mk_bin(P, OP_MOD, BIG($1), BIG($3), @$); }
  | MINUS arith %prec UNARY {
        if (parse_is_big_literal(P, $2)) {
            $$ = $2;                /* -9223372036854775808 */
            $$->span = @$;
        } else {
            $$ = mk_unary(P, OP_NEG, $2, @$);
        }
    }
  | PLUS arith %prec UNARY          { $$ = mk_unary(P, OP_POS, BIG($2), @$); }
  | TILDE arith %prec UNARY         { $$ = mk_unary(P, OP_BITNOT, BIG($2), @$); }
    /* `-2**2` is -(2**2) and `2**-1` is 2**(-1), as in Python. */
  | primary POW arith               { $$ = mk_bin(P, OP_POW, BIG($1), BIG($3), @$); }
  | primary
  ;

primary:
    INT
  | FLOAT
  | STRING
  | NONE                            { $$ = mk(P, ND_NONE, @$); }
  | TRUE                            { $$ = mk(P, ND_BOOL, @$); $$->ival = 1; }
  | FALSE                           { $$ = mk(P, ND_BOOL, @$); $$->ival = 0; }
  | IDENT                           { $$ = mk(P, ND_NAME, @$); $$->name = $1; }
  | LP test RP                      { $$ = $2; $$->parens = true; }
  | LP RP                           { $$ = mk(P, ND_TUPLE, @$); }
  | LP exprs RP                     { $$ = $2; $$->span = @$; $$->parens = true; }
  | LB RB                           { $$ = mk(P, ND_LIST, @$); }
  | LB elems RB                     { $$ = mk(P, ND_LIST, @$); $$->elems = $2.head; }
  | LB elems COMMA RB               { $$ = mk(P, ND_LIST, @$); $$->elems = $2.head; }
  | LB test comp_clauses RB         { $$ = mk_comp(P, $2, NULL, $3, @$); }
  | LD RC                           { $$ = mk(P, ND_DICT, @$); }
  | LD pairs RC                     { $$ = mk(P, ND_DICT, @$); $$->elems = $2.head; }
  | LD pairs COMMA RC               { $$ = mk(P, ND_DICT, @$); $$->elems = $2.head; }
  | LD elems RC                     { $$ = mk(P, ND_SET, @$); $$->elems = $2.head; }
  | LD elems COMMA RC               { $$ = mk(P, ND_SET, @$); $$->elems = $2.head; }
  | LD test comp_clauses RC {
        $$ = mk_comp(P, $2, NULL, $3, @$); $$->argc = COMP_SET;
    }
  | LD test COLON test comp_clauses RC {
        $$ = mk_comp(P, $2, $4, $5, @$); $$->argc = COMP_DICT;
    }
  | primary LP args RP {
        $$ = mk(P, ND_CALL, @$); $$->callee = BIG($1); $$->args = $3.head;
    }
  | primary LB test RB {
        $$ = mk(P, ND_INDEX, @$); $$->lhs = BIG($1); $$->rhs = $3;
    }
  | primary LB exprs RB {           /* d[1, 2] is d[(1, 2)], as in Python */
        $$ = mk(P, ND_INDEX, @$); $$->lhs = BIG($1); $$->rhs = $3;
    }
  | primary LB opt_test COLON opt_test RB {
        $$ = mk_slice(P, BIG($1), $3 ? BIG($3) : NULL, $5 ? BIG($5) : NULL, NULL, @$);
    }
  | primary LB opt_test COLON opt_test COLON opt_test RB {
        $$ = mk_slice(P, BIG($1), $3 ? BIG($3) : NULL, $5 ? BIG($5) : NULL,
                      $7 ? BIG($7) : NULL, @$);
    }
  | primary DOT IDENT {
        $$ = mk(P, ND_MEMBER, @$);
        $$->lhs = BIG($1); $$->name = $3; $$->name_span = @3;
    }
  ;

opt_test:
    %empty                          { $$ = NULL; }
  | test
  ;

/* The clauses of a list comprehension, each a node chained through next
 * (ND_FOR: name and iterable, or names to unpack; ND_IF: cond); mk_comp
 * nests them. */
comp_clauses:
    FOR IDENT IN test               { $$ = mk_comp_for(P, NULL, $2, @2, $4, @1); }
  | comp_clauses FOR IDENT IN test  { $$ = mk_comp_for(P, $1, $3, @3, $5, @2); }
  | FOR IDENT COMMA name_list IN test {
        $$ = mk_comp_for_unpack(P, NULL, $2, @2, $4.head, $6, @1);
    }
  | comp_clauses FOR IDENT COMMA name_list IN test {
        $$ = mk_comp_for_unpack(P, $1, $3, @3, $5.head, $7, @2);
    }
  | comp_clauses IF test            { $$ = mk_comp_if(P, $1, $3, @2); }
  ;

/* key: value pairs of a dict display, chained key, value, key, value */
pairs:
    test COLON test                 { $$ = list1($1); $1->next = $3; $$.tail = $3; }
  | pairs COMMA test COLON test {
        $$ = list_add($1, $3); $3->next = $5; $$.tail = $5;
    }
  ;

elems:
    test                            { $$ = list1($1); }
  | elems COMMA test                { $$ = list_add($1, $3); }
  ;

args:
    %empty                          { $$.head = $$.tail = NULL; }
  | arg_list
  | arg_list COMMA
  ;

arg_list:
    arg                             { $$ = list1($1); }
  | arg_list COMMA arg {
        if ($3->kind != ND_KWARG && $1.tail->kind == ND_KWARG)
            parse_error(P, @3, "positional argument after a keyword argument");
        $$ = list_add($1, $3);
    }
  ;

arg:
    test
  | IDENT ASSIGN test {
        $$ = mk(P, ND_KWARG, @$); $$->name = $1; $$->name_span = @1; $$->lhs = $3;
    }
  ;

%%

static void mpyerror(const Span *at, Parser *P, void *scanner, const char *msg) {
    (void)scanner;
    if (P->sh->fatal || P->sh->stopped) return;
    parse_error(P, *at, "%s", msg);
}

/* ---- syntax error messages ----------------------------------------------
 *
 * Built from the unexpected token, the tokens the parser would accept
 * there (exact, thanks to the canonical LR tables chosen above) and what
 * the scanner knows about brackets and the statement being parsed. */

typedef struct Expect {
    yysymbol_kind_t tok[YYNTOKENS];
    int n;
} Expect;

static bool expects(const Expect *e, yysymbol_kind_t t) {
    for (int i = 0; i < e->n; i++)
        if (e->tok[i] == t) return true;
    return false;
}

static bool is_keyword(yysymbol_kind_t t) {
    return t >= YYSYMBOL_DEF && t <= YYSYMBOL_FALSE;
}

/* Tokens that can start an expression. */
static bool starts_expr(yysymbol_kind_t t) {
    switch (t) {
    case YYSYMBOL_IDENT: case YYSYMBOL_INT: case YYSYMBOL_FLOAT:
    case YYSYMBOL_STRING: case YYSYMBOL_TRUE: case YYSYMBOL_FALSE: case YYSYMBOL_NONE:
    case YYSYMBOL_NOT: case YYSYMBOL_LP: case YYSYMBOL_LB: case YYSYMBOL_LD:
    case YYSYMBOL_MINUS: case YYSYMBOL_PLUS: case YYSYMBOL_TILDE:
        return true;
    default:
        return false;
    }
}

static const char *closer_of(char c) {
    return c == '(' ? "')'" : c == '[' ? "']'" : "'}'";
}

/* The phrase after "expected" when nothing more specific applies. */
static void list_expected(const Expect *e, char *buf, size_t size) {
    const char *words[8];
    int n = 0;
    bool any_expr = expects(e, YYSYMBOL_INT), expr = false;
    for (int i = 0; i < e->n && n < 8; i++) {
        yysymbol_kind_t t = e->tok[i];
        const char *w;
        if (any_expr && starts_expr(t)) {
            if (expr) continue;
            expr = true;
            w = "an expression";
        } else if (t == YYSYMBOL_IDENT) w = "a name";
        else if (t == YYSYMBOL_AUGASSIGN) w = "an assignment";
        else w = yysymbol_name(t);
        bool dup = false;
        for (int j = 0; j < n; j++) dup |= strcmp(words[j], w) == 0;
        if (!dup) words[n++] = w;
    }
    size_t len = 0;
    buf[0] = '\0';
    for (int i = 0; i < n && len < size; i++) {
        const char *glue = i == 0 ? "" : i == n - 1 ? " or " : ", ";
        len += (size_t)snprintf(buf + len, size - len, "%s%s", glue, words[i]);
    }
}

/* The code point of the UTF-8 character at S (N bytes available) and its
 * length, or 0 when the bytes are not valid UTF-8. */
static int utf8_decode(const unsigned char *s, uint32_t n, uint32_t *cp) {
    unsigned c = s[0];
    int len;
    uint32_t min;
    if (c >= 0xC2 && c <= 0xDF) { len = 2; min = 0x80; }
    else if ((c & 0xF0) == 0xE0) { len = 3; min = 0x800; }
    else if (c >= 0xF0 && c <= 0xF4) { len = 4; min = 0x10000; }
    else return 0;
    if ((uint32_t)len > n) return 0;
    uint32_t v = c & (0x7Fu >> len);
    for (int i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        v = v << 6 | (s[i] & 0x3Fu);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
    *cp = v;
    return len;
}

/* The message for an INVALID token. */
static void describe_invalid(Parser *P, Span at, char *buf, size_t size) {
    const unsigned char *t = (const unsigned char *)P->sh->src->text + at.begin;
    uint32_t n = at.end - at.begin;
    uint32_t cp;
    int len;
    if (n == 2 && t[0] == '&' && t[1] == '&')
        snprintf(buf, size, "'&&' is not an operator; use 'and'");
    else if (n == 2 && t[0] == '|' && t[1] == '|')
        snprintf(buf, size, "'||' is not an operator; use 'or'");
    else if (t[0] >= 0x80 && (len = utf8_decode(t, n, &cp)) > 0)
        snprintf(buf, size, "non-ASCII character '%.*s' (U+%04X) outside a string or "
                 "comment", len, (const char *)t, cp);
    else if (t[0] >= 0x80)
        snprintf(buf, size, "unexpected byte 0x%02x (not UTF-8)", t[0]);
    else if (t[0] == 0)
        snprintf(buf, size, "unexpected NUL byte");
    else if (t[0] < 0x20 || t[0] == 0x7f)
        snprintf(buf, size, "unexpected control character 0x%02x", t[0]);
    else if (t[0] == '!')
        snprintf(buf, size, "stray '!' in program (use 'not' to negate, '!=' to compare)");
    else
        snprintf(buf, size, "stray '%c' in program", t[0]);
}

/* The unexpected token, in words: "name 'x'", "')'", "end of line". */
static void describe(Parser *P, yysymbol_kind_t tok, Span at, char *buf, size_t size) {
    const char *t = P->sh->src->text + at.begin;
    int len = (int)(at.end - at.begin);
    const char *dots = "";
    if (len > 32) {
        len = 32;
        dots = "...";
    }
    switch (tok) {
    case YYSYMBOL_YYEOF:
        snprintf(buf, size, "%s", P->level ? "'}'" : "end of file");
        break;
    case YYSYMBOL_IDENT:
        snprintf(buf, size, "name '%.*s%s'", len, t, dots);
        break;
    case YYSYMBOL_INT:
    case YYSYMBOL_FLOAT:
        snprintf(buf, size, "number %.*s%s", len, t, dots);
        break;
    case YYSYMBOL_STRING:
        snprintf(buf, size, "string %.*s%s", len, t, dots);
        break;
    case YYSYMBOL_AUGASSIGN:
        snprintf(buf, size, "'%.*s'", len, t);
        break;
    case YYSYMBOL_INVALID:
        describe_invalid(P, at, buf, size);
        break;
    case YYSYMBOL_TRUE:
    case YYSYMBOL_FALSE: /* as spelled: True or true */
        snprintf(buf, size, "'%.*s'", len, t);
        break;
    default:
        snprintf(buf, size, "%s", yysymbol_name(tok));
        break;
    }
}

static int yyreport_syntax_error(const yypcontext_t *ctx, Parser *P, void *scanner) {
    (void)scanner;
    if (P->sh->fatal || P->sh->stopped) return 0;
    yysymbol_kind_t tok = yypcontext_token(ctx);
    Span at = *yypcontext_location(ctx);
    Expect e;
    e.n = yypcontext_expected_tokens(ctx, e.tok, YYNTOKENS);
    if (e.n < 0) e.n = 0;
    char found[160];
    describe(P, tok, at, found, sizeof found);
    Bracket top = P->top_before;

    if (tok == YYSYMBOL_INVALID) {
        parse_error(P, at, "%s", found);
        return 0;
    }
    if ((tok == YYSYMBOL_ELSE || tok == YYSYMBOL_ELIF) && P->last2 == TK_NEWLINE) {
        parse_error(P, at, "unexpected %s (an %s must follow '}' on the same line)",
                    found, found);
        return 0;
    }
    /* Brackets: never closed, not matching, or closing nothing. */
    if (P->forced) {
        Span b = {P->forced_br.off, P->forced_br.off + 1};
        parse_error(P, b, "'%c' was never closed", P->forced_br.c);
        return 0;
    }
    if (tok == YYSYMBOL_YYEOF) {
        int i = P->depth - 1;
        while (i >= 0 && P->stack[i].c == 'e') i--;     /* elif markers */
        if (i >= 0) {
            Span b = {P->stack[i].off, P->stack[i].off + 1};
            parse_error(P, b, "'%c' was never closed", P->stack[i].c);
            return 0;
        }
    }
    if (P->mismatched) {
        parse_error(P, at, "closing %s does not match '%c'", found, P->mismatch_br.c);
        parse_note(P, (Span){P->mismatch_br.off, P->mismatch_br.off + 1},
                   "'%c' opened here", P->mismatch_br.c);
        return 0;
    }
    if (P->unmatched) {
        parse_error(P, at, "unmatched %s", found);
        return 0;
    }
    bool want_expr = expects(&e, YYSYMBOL_INT);
    bool stmt_start = expects(&e, YYSYMBOL_LET);
    /* a < b < c: comparisons do not associate. */
    bool in_as_name = tok == YYSYMBOL_IN && expects(&e, YYSYMBOL_IDENT); /* `let in = 1` */
    if (((tok >= YYSYMBOL_EQ && tok <= YYSYMBOL_GT) || tok == YYSYMBOL_IN) && !want_expr &&
        !in_as_name && !expects(&e, tok)) {
        parse_error(P, at, "comparisons cannot be chained; use 'and'");
        return 0;
    }
    /* `} else if` */
    if (tok == YYSYMBOL_IF && P->last2 == TK_ELSE) {
        parse_error(P, at, "expected '{' after 'else'; write 'elif' instead of 'else if'");
        return 0;
    }
    /* The lines of a select, and their words elsewhere. */
    if (expects(&e, YYSYMBOL_CASE) && tok != YYSYMBOL_NEWLINE) {
        parse_error(P, at, "a select holds only 'case', 'eof' and 'timeout' lines, not %s", found);
        return 0;
    }
    if ((tok == YYSYMBOL_CASE || tok == YYSYMBOL_EOFKW || tok == YYSYMBOL_TIMEOUT) && stmt_start) {
        parse_error(P, at, "%s stands only inside 'select { ... }'", found);
        return 0;
    }
    /* A keyword where a name belongs. */
    if (expects(&e, YYSYMBOL_IDENT) && is_keyword(tok) && !starts_expr(tok) &&
        !expects(&e, YYSYMBOL_INT)) {
        parse_error(P, at, "expected a name, but %s is a keyword", found);
        return 0;
    }
    /* The '{' of a block. */
    if (expects(&e, YYSYMBOL_LC)) {
        const char *after;
        switch (P->kw_before) {
        case TK_IF: after = "after 'if' condition"; break;
        case TK_ELIF: after = "after 'elif' condition"; break;
        case TK_WHILE: after = "after 'while' condition"; break;
        case TK_FOR: after = "after 'for' clause"; break;
        case TK_LOCK: after = "after 'lock' object"; break;
        case TK_ELSE: after = "after 'else'"; break;
        case TK_SELECT: after = "after 'select'"; break;
        case TK_CASE: after = "after the case's receive"; break;
        case TK_EOFKW: after = "after the 'eof' source"; break;
        case TK_TIMEOUT: after = "after the 'timeout' seconds"; break;
        case TK_DEF:
            after = expects(&e, YYSYMBOL_ARROW) ? "or '->' after parameters"
                                                : "after return type";
            break;
        default: after = NULL; break;
        }
        if (after) {
            const char *hint = "";
            if (tok == YYSYMBOL_NEWLINE) {
                hint = " on the same line";
                P->keep_recovering = true;  /* and take the block below */
            }
            else if (tok == YYSYMBOL_ASSIGN && P->kw_before != TK_DEF)
                hint = " (to compare, use '==')";
            parse_error(P, at, "expected '{' %s%s", after, hint);
            return 0;
        }
    }
    /* A type: a name, or a name and [...], after ':', '->' or '['. */
    if (expects(&e, YYSYMBOL_IDENT) && !want_expr && !stmt_start &&
        (P->last2 == TK_COLON || P->last2 == TK_ARROW || P->last2 == TK_LB)) {
        parse_error(P, at, "expected a type, not %s", found);
        return 0;
    }
    if (P->last2 == TK_DOT && expects(&e, YYSYMBOL_IDENT)) {
        parse_error(P, at, "expected a name after '.', not %s", found);
        return 0;
    }
    /* Inside brackets: what closes them. */
    if (top.c == '(' || top.c == '[') {
        yysymbol_kind_t closer = top.c == '(' ? YYSYMBOL_RP : YYSYMBOL_RB;
        if (expects(&e, closer) && !want_expr) {
            const char *cl = closer_of(top.c);
            bool comma = expects(&e, YYSYMBOL_COMMA);
            bool juxt = starts_expr(tok) && comma;
            switch (top.kind) {
            case BR_CALL:
                if (juxt) parse_error(P, at, "expected ',' or ')' after argument");
                else parse_error(P, at, "expected ')' after arguments");
                return 0;
            case BR_PARAMS:
                if (expects(&e, YYSYMBOL_IDENT))
                    parse_error(P, at, "expected a parameter name or ')', not %s", found);
                else if (juxt || tok == YYSYMBOL_IDENT)
                    parse_error(P, at, "expected ',' or ')' after parameter");
                else parse_error(P, at, "expected ')' after parameters");
                return 0;
            case BR_LIST:
                if (juxt) parse_error(P, at, "expected ',' or ']' after list element");
                else parse_error(P, at, "expected ']' after list elements");
                return 0;
            case BR_INDEX:
                /* an index may go on with an operator; a type argument not */
                parse_error(P, at, "expected ']' after %s",
                            expects(&e, YYSYMBOL_PLUS) ? "index" : "the element type");
                return 0;
            default:
                parse_error(P, at, "expected %s", cl);
                return 0;
            }
        }
    }
    if (want_expr && !stmt_start && is_keyword(tok) && !starts_expr(tok)) {
        parse_error(P, at, "expected an expression, not the keyword %s", found);
        return 0;
    }
    /* `a == not b`, `-not b`: as in Python, `not` binds looser. */
    if (want_expr && tok == YYSYMBOL_NOT) {
        parse_error(P, at, "'not' cannot stand here; write (not ...)");
        return 0;
    }
    if (want_expr && !stmt_start) {
        if (expects(&e, YYSYMBOL_RP) && top.c == '(')
            parse_error(P, at, "expected an expression or ')', not %s", found);
        else if (expects(&e, YYSYMBOL_RB) && top.c == '[')
            parse_error(P, at, "expected an expression or ']', not %s", found);
        else if (tok == YYSYMBOL_NEWLINE || tok == YYSYMBOL_YYEOF)
            parse_error(P, at, "expected an expression");
        else
            parse_error(P, at, "expected an expression, not %s", found);
        return 0;
    }
    /* The end of an interpolated expression. */
    if (P->level > 0 && expects(&e, YYSYMBOL_YYEOF)) {
        parse_error(P, at, "expected '}' after the expression in the string, not %s",
                    found);
        return 0;
    }
    if (stmt_start) {
        parse_error(P, at, "unexpected %s at the start of a statement", found);
        return 0;
    }
    /* After a complete statement. */
    if (expects(&e, YYSYMBOL_NEWLINE)) {
        if (tok == YYSYMBOL_ASSIGN)
            parse_error(P, at, "unexpected '='; an assignment is a statement of its own");
        else
            parse_error(P, at, "unexpected %s after the end of a statement "
                        "(statements are separated by a newline or ';')", found);
        return 0;
    }
    if (e.n > 0 && e.n <= 5) {
        char list[200];
        list_expected(&e, list, sizeof list);
        parse_error(P, at, "expected %s, not %s", list, found);
        return 0;
    }
    parse_error(P, at, "unexpected %s", found);
    return 0;
}
