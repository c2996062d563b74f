#!/usr/bin/env python3
"""Fails when a C++ / CUDA function body is longer than a limit (default 120 lines).

Usage: check_function_length.py [--max N] [--list K] [PATH ...]
  PATH: files or folders (default: the files git tracks or would track, without tests/);
  sources are .cpp .cc .h .hpp .cu .cuh .inl. --list K also prints the K longest functions.

A function's length is counted from the line of its signature's first token to the line of
its closing brace. Lambdas and local classes count towards the function that holds them; a
lambda at namespace scope (or in a namespace-scope initialiser) counts as a function.

How bodies are found: comments, string / character / raw-string literals and preprocessor
lines are blanked first (keeping line numbers), so braces inside them do not count. Then
braces are matched with a stack. An opening brace outside any function is classified by the
text before it since the last ';', '{', '}' (or ',' inside an initialiser):
  - namespace / class / struct / union / enum / extern "C": a scope whose members are
    classified in turn;
  - a ')' (possibly followed by const, noexcept(...), override, final, mutable, try, a
    trailing '-> type' or a constructor's ': member(init), ...' list): a function body,
    matched to its closing brace without looking inside;
  - anything else (`T x{...}`, `= {...}`): a brace initialiser, whose elements may hold
    lambdas.
"""
import argparse
import os
import re
import subprocess
import sys

EXTENSIONS = (".cpp", ".cc", ".h", ".hpp", ".cu", ".cuh", ".inl")


def blank(text):
    """Comments, literals and preprocessor lines replaced by spaces; newlines kept."""
    out = []
    i, n = 0, len(text)
    line_start = True  # only whitespace since the last newline
    while i < n:
        c = text[i]
        if c == "\n":
            out.append(c)
            i += 1
            line_start = True
            continue
        if line_start and c == "#":  # preprocessor line, with backslash continuations
            while i < n and text[i] != "\n":
                if text[i] == "\\" and i + 1 < n and text[i + 1] == "\n":
                    out.append(" \n")
                    i += 2
                    continue
                out.append(" ")
                i += 1
            continue
        if not c.isspace():
            line_start = False
        if text.startswith("//", i):
            while i < n and text[i] != "\n":
                out.append(" ")
                i += 1
            continue
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
            continue
        m = re.compile(r'(?:u8|[uUL])?R"([^()\\ ]{0,16})\(').match(text, i)
        if m and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            end = text.find(")" + m.group(1) + '"', m.end())
            j = n if end < 0 else end + len(m.group(1)) + 2
            out.append('"' + re.sub(r"[^\n]", " ", text[i + 1 : j - 1]) + '"')
            i = j
            continue
        if c.isdigit() or (c == "." and i + 1 < n and text[i + 1].isdigit()):
            # a number, with digit separators (1'000) and exponents (1e-3, 0x1p+4)
            j = i + 1
            while j < n and (text[j].isalnum() or text[j] in "._'" or
                             (text[j] in "+-" and text[j - 1] in "eEpP")):
                j += 1
            out.append(text[i:j].replace("'", " "))
            i = j
            continue
        if c.isalpha() or c == "_":
            j = i + 1
            while j < n and (text[j].isalnum() or text[j] == "_"):
                j += 1
            out.append(text[i:j])
            i = j
            continue
        if c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            j = min(j + 1, n)
            out.append(c + re.sub(r"[^\n]", " ", text[i + 1 : j - 1]) + c)
            i = j
            continue
        out.append(c)
        i += 1
    return "".join(out)


SCOPE_RE = re.compile(
    r"^(?:template\s*<.*>\s*)?(?:typedef\s+)?(?:inline\s+)?"
    r"(?:namespace\b|(?:class|struct|union|enum)\b|extern\s*\"\")", re.S)
QUALIFIER_RE = re.compile(
    r"(?:\s*(?:(?:const|volatile|override|final|mutable|try|constexpr)\b|noexcept\s*(?:\(\))?|&&?))*"
    r"\s*$")


def top_level(header):
    """header with every (...), <...>-free bracket group's contents removed: 'f(a, b) const'
    -> 'f() const'. Returns None when parentheses do not balance."""
    out, depth = [], 0
    for ch in header:
        if ch in "([":
            if depth == 0:
                out.append(ch)
            depth += 1
        elif ch in ")]":
            depth -= 1
            if depth < 0:
                return None
            if depth == 0:
                out.append(ch)
        elif depth == 0:
            out.append(ch)
    return "".join(out) if depth == 0 else None


def is_function_header(header):
    flat = top_level(header)
    if flat is None or "(" not in flat:
        return False
    flat = re.sub(r"\{\}", "", flat)  # initialiser groups of a constructor's member list
    # a constructor's member initialisers: ') : a(), b()' -> ')'
    flat = re.sub(r"\)\s*:(?!:)\s*(?:[\w:<>]+\s*\(\)\s*,?\s*)+$", ")", flat)
    # a trailing return type: ') -> T' (T may hold '::', '<...>', '*', '&')
    flat = re.sub(r"\)\s*((?:const|noexcept|mutable|constexpr)\s*)*->\s*[\w:<>,*&\s]+$", ")",
                  flat)
    flat = re.sub(r"\)\s*requires\b.*$", ")", flat, flags=re.S)  # a constraint: ') requires C<T>'
    flat = QUALIFIER_RE.sub("", flat).rstrip()
    if flat.endswith("=") or re.search(r"=\s*\[\]$", flat):  # = { ... } initialiser
        return False
    return flat.endswith(")")


def name_of(header):
    flat = top_level(header) or header
    flat = re.split(r"\)\s*:(?!:)", flat)[0] + ")"  # a constructor: its name, not its members'
    m = re.search(r"(operator\s*(?:\(\)|[^\s(]+)|~?[\w:]+(?:\s*<[^<>]*>)?|\[\])\s*\(\)", flat)
    if m:
        return m.group(1).strip()
    return " ".join(header.split())[:60]


def functions(text):
    """(name, first_line, last_line) of every function body in a blanked source."""
    found = []
    # the open scopes: ('scope' or 'init', where the header around an initialiser began)
    stack = []
    header_begin = 0  # index where the current header starts
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in ";":
            header_begin = i + 1
        elif c == "," and stack and stack[-1][0] == "init":
            header_begin = i + 1
        elif c == "}":
            if stack:
                kind, saved = stack.pop()
                if kind == "init":
                    # a brace initialiser ends: its text stays part of the enclosing header
                    header_begin = saved
                    i += 1
                    continue
            header_begin = i + 1
        elif c == "{":
            header = text[header_begin:i]
            stripped = header.strip()
            if SCOPE_RE.match(stripped):
                stack.append(("scope", header_begin))
                header_begin = i + 1
            elif is_function_header(header):
                j, depth = i, 0
                while j < n:
                    if text[j] == "{":
                        depth += 1
                    elif text[j] == "}":
                        depth -= 1
                        if depth == 0:
                            break
                    j += 1
                start = header_begin + (len(header) - len(header.lstrip()))
                first = text.count("\n", 0, start) + 1
                last = text.count("\n", 0, j) + 1
                found.append((name_of(header), first, last))
                i = j + 1
                header_begin = i
                continue
            else:
                stack.append(("init", header_begin))
                header_begin = i + 1
        i += 1
    return found


def tracked_sources(root):
    files = subprocess.run(["git", "-C", root, "ls-files", "--cached", "--others", "--exclude-standard"], check=True, capture_output=True,
                           text=True).stdout.split()
    return [os.path.join(root, f) for f in files
            if f.endswith(EXTENSIONS) and not f.startswith("tests/")]


def sources_in(paths):
    for p in paths:
        if os.path.isdir(p):
            for d, _, names in os.walk(p):
                for name in sorted(names):
                    if name.endswith(EXTENSIONS):
                        yield os.path.join(d, name)
        else:
            yield p


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--max", type=int, default=120, help="longest allowed function (lines)")
    ap.add_argument("--list", type=int, default=0, help="also print the K longest functions")
    ap.add_argument("paths", nargs="*")
    a = ap.parse_args()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    files = list(sources_in(a.paths)) if a.paths else tracked_sources(root)
    everything, too_long = [], []
    for path in files:
        with open(path, encoding="utf-8", errors="replace") as f:
            text = blank(f.read())
        for name, first, last in functions(text):
            lines = last - first + 1
            rel = os.path.relpath(path, root) if not a.paths else path
            everything.append((lines, rel, first, name))
            if lines > a.max:
                too_long.append((lines, rel, first, name))
    if a.list:
        for lines, rel, first, name in sorted(everything, reverse=True)[: a.list]:
            print(f"{lines:5d}  {rel}:{first}  {name}")
    for lines, rel, first, name in sorted(too_long, key=lambda t: (t[1], t[2])):
        print(f"{rel}:{first}: function '{name}' is {lines} lines (limit {a.max})")
    print(f"check_function_length: {len(everything)} functions in {len(files)} files, "
          f"{len(too_long)} over {a.max} lines")
    return 1 if too_long else 0


if __name__ == "__main__":
    sys.exit(main())
