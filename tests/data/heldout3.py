#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Build tests/data/typos-heldout3.tsv (corpus 3; tests/data/README.md).

Reads each source file from a bare git mirror at its pinned commit
(MIRROR/OWNER+NAME/repo, `git show COMMIT:PATH`), takes the typo and
correction strings the source states (a test expectation or a data-file
mapping), then applies corpus 2's filters, in order, and writes the corpus
and build-report3.txt to OUT.  Nothing is picked by hand.  The filters
and the report are heldout2.py's, copied: that script stays as it was, so
that corpus 2 still rebuilds to its md5.

usage: OUT=DIR MIRROR=DIR python3 tests/data/heldout3.py
"""
import collections
import os
import re
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.environ.get('OUT', '.')
MIRROR = os.environ.get('MIRROR', '.')
PROV = ['gmail.com', 'yahoo.com', 'hotmail.com', 'outlook.com', 'live.com',
        'msn.com', 'icloud.com', 'zoho.com', 'aol.com', 'comcast.net',
        'gmx.de', 'yandex.ru', 'mail.ru', 'protonmail.com', 'hotmail.co.uk']


def git_dir(gitdir):
    """A bare dir, or a clone's .git (either may be in MIRROR)."""
    d = os.path.join(MIRROR, gitdir)
    return d if os.path.exists(os.path.join(d, 'HEAD')) else \
        os.path.join(d, '.git')


def show(gitdir, commit, path):
    return subprocess.run(["git", "--git-dir=%s" % git_dir(gitdir), "show",
                           "%s:%s" % (commit, path)],
                          check=True, capture_output=True, text=True).stdout


def ls(gitdir, commit, under):
    out = subprocess.run(["git", "--git-dir=%s" % git_dir(gitdir),
                          "ls-tree", "-r", "--name-only", commit, under],
                         check=True, capture_output=True, text=True).stdout
    return [l for l in out.splitlines() if l]


def dom(s):
    s = s.strip().lower()
    return s.rsplit("@", 1)[-1] if "@" in s else s


# ---------------------------------------------------------------- extractors
def flanker(src):
    # tests/fixtures/domain_typos_valid.txt : "typo,correct_spelling" lines, '#' comments
    for line in show(src["git"], src["commit"], src["path"]).splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        a, b = line.split(",", 1)
        yield a, b


def email_inquire(src):
    # spec/cases/*_spec.rb : (1) %w[ e1 e2 ... ].each ... replacement: "X"  -> each ei -> X
    #                        (2) hash literals  "a" => "b" iterated with replacement: hint
    for path in ls(src["git"], src["commit"], "spec/cases"):
        text = show(src["git"], src["commit"], path)
        for m in re.finditer(r'%w\[(.*?)\]\.each do \|kase\|(.*?)\n  end\n', text, re.S):
            words, body = m.group(1).split(), m.group(2)
            r = re.search(r'replacement:\s*"([^"]+)"', body)
            if r and "status: :hint" in body:
                for w in words:
                    yield w, r.group(1)
        for m in re.finditer(r'\{\n((?:\s*"[^"]+"\s*=>\s*"[^"]+",?\n)+)\s*\}\.each do \|kase, hint\|(.*?)\n  end\n', text, re.S):
            if "replacement: hint" in m.group(2) and "status: :hint" in m.group(2):
                for a, b in re.findall(r'"([^"]+)"\s*=>\s*"([^"]+)"', m.group(1)):
                    yield a, b


def quitnow(src):
    # assertEquals("EXPECTED", es.getSuggestedEmail("INPUT"))
    text = show(src["git"], src["commit"], src["path"])
    for exp, inp in re.findall(r'assertEquals\(\s*"([^"]*)"\s*,\s*es\.getSuggestedEmail\(\s*"([^"]*)"\s*\)\s*\)', text):
        yield inp, exp


def machado(src):
    # pytest parametrize tuples ("INPUT", "EXPECTED") inside @pytest.mark.parametrize("input_email,expected", [...])
    text = show(src["git"], src["commit"], src["path"])
    for block in re.findall(r'parametrize\("input_email,expected",\s*\[(.*?)\]\)', text, re.S):
        for inp, exp in re.findall(r'\(\s*"([^"]*)"\s*,\s*"([^"]*)"\s*\)', block):
            yield inp, exp


def pairs(pattern):
    """An extractor of (typo, correction) from one regex of two groups."""
    def fn(src):
        text = show(src["git"], src["commit"], src["path"])
        yield from re.findall(pattern, text)
    return fn


# tests.js: { subject: "INPUT", suggestion: "EXPECTED" }
verimail = pairs(r'subject:\s*"([^"]*)"\s*,\s*suggestion:\s*"([^"]*)"')
# expect(suggest('INPUT')).to.equal('EXPECTED')
blendle = pairs(r"expect\(suggest\('([^']*)'\)\)\.to\.equal\('([^']*)'\)")
# {..., email: 'INPUT', expectedResult: {domainTypo: 'EXPECTED'}}
jclaw = pairs(r"email:\s*'([^']*)'\s*,\s*expectedResult:\s*"
              r"\{\s*domainTypo:\s*'([^']*)'")


SOURCES = [
    dict(id="flanker", git="mailgun+flanker/repo", commit="c7f70738dbb39eda2861b03917b63ec9fa828f5d",
         path="tests/fixtures/domain_typos_valid.txt", fn=flanker),
    dict(id="email_inquire", git="maximeg+email_inquire/repo", commit="23196f6c96c2bd99493cfb6705712cd6ee8429ee",
         path="spec/cases/*_spec.rb", fn=email_inquire),
    dict(id="quitnow_email_suggester", git="fewlaps+quitnow-email-suggester/repo",
         commit="a9b0b4192bd7f98b1dc9c96a1c5cdc83e93fb121",
         path="src/test/java/com/fewlaps/quitnowemailsuggester/EmailSuggestorBadEmailsTest.java", fn=quitnow),
    dict(id="machado_email_typo_fixer", git="machado000+email-typo-fixer/repo",
         commit="5bea408bef27be691e5b01c8f42d43bd9ef9ad4f", path="tests/test_email_typo_fixer.py", fn=machado),
    dict(id="verimail_js", git="amail+Verimail.js/repo", commit="c3a400efb99181f3a63f804f4dc5c62da2b65757",
         path="tests/tests.js", fn=verimail),
    dict(id="blendle_emailcorrect", git="blendle+emailcorrect/repo", commit="3468b0e94da4a79ec5c30fe86b2d1adcdc9f7f64",
         path="test/emailcorrect.test.js", fn=blendle),
    dict(id="bandcamp_email_typo_checker", git="jclaw+email-typo-checker/repo",
         commit="125c833a2f98c0a5d2d21504db122c261f8ab010", path="typoCheckerTests.js", fn=jclaw),
]



# ---- filters: corpus 2's, in order (tests/data/README.md)
icann, on = set(), False
for line in open('/usr/share/publicsuffix/public_suffix_list.dat',
                 encoding='utf-8'):
    line = line.strip()
    if 'BEGIN ICANN DOMAINS' in line:
        on = True
    elif 'END ICANN DOMAINS' in line:
        on = False
    elif on and line and not line.startswith('//'):
        icann.add(line)
LDH = re.compile(r'^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$')


def deliverable(n):
    labels = n.split('.')
    if len(labels) < 2 or len(n) > 253 or \
            not all(LDH.match(l) for l in labels):
        return False
    if labels[-1] not in icann:
        return False
    if n in icann and '!' + n not in icann:
        return False
    if '*.' + '.'.join(labels[1:]) in icann and '!' + n not in icann:
        return False
    return True


def column1(name):
    return {l.split('\t')[0] for l in open(os.path.join(HERE, name))
            if l.strip() and not l.startswith('#')}


def main():
    old = column1('typos-heldout.tsv') | column1('typos-heldout2.tsv')
    real = {l.strip().lower()
            for l in open(os.path.join(HERE, 'mail-providers.txt'))
            if l.strip() and not l.startswith('#')}
    names = ['0 generic TLD test on example.*',
             '1 intended not a protected provider', '2 not deliverable',
             '3a protected name itself',
             '3b already in typos-heldout.tsv or typos-heldout2.tsv',
             '3c in mail-providers.txt']
    drops = collections.OrderedDict((k, collections.defaultdict(set))
                                    for k in names)
    kept = collections.defaultdict(set)
    listed = collections.defaultdict(set)
    for src in SOURCES:
        for a, b in src["fn"](src):
            a, b = dom(a), dom(b)
            if a == b:
                continue
            s = src["id"]
            listed[s].add((a, b))
            if b.split('.')[0] == 'example' or '.example.' in b:
                k = names[0]
            elif b not in PROV:
                k = names[1]
            elif not deliverable(a):
                k = names[2]
            elif a in PROV:
                k = names[3]
            elif a in old:
                k = names[4]
            elif a in real:
                k = names[5]
            else:
                kept[(a, b)].add(s)
                continue
            drops[k][(a, b)].add(s)
    with open(os.path.join(OUT, 'typos-heldout3.tsv'), 'w') as f:
        f.write('# mxguard held-out corpus 3: real-world mail-domain typos '
                'of the 15 protected providers, typo<TAB>intended<TAB>'
                'sources; sources and filters in tests/data/README.md\n')
        for (a, b) in sorted(kept):
            f.write(f'{a}\t{b}\t{",".join(sorted(kept[(a, b)]))}\n')
    rep = [f'kept pairs: {len(kept)}  distinct typos: '
           f'{len({a for a, _ in kept})}']
    per_src = collections.Counter(s for v in kept.values() for s in v)
    for s in sorted(listed):
        rep.append(f'source {s}: listed {len(listed[s])} distinct pairs, '
                   f'kept {per_src[s]}, only here '
                   f'{sum(1 for v in kept.values() if v == {s})}')
    for p, n in collections.Counter(b for _, b in kept).most_common():
        rep.append(f'provider {p}: {n}')
    for k, v in drops.items():
        rep.append(f'drop {k}: {len(v)} distinct pairs')
        rep.append('    ' + ' '.join(sorted(f'{a}->{b}' for a, b in v)))
    open(os.path.join(OUT, 'build-report3.txt'), 'w').write(
        '\n'.join(rep) + '\n')
    print('\n'.join(rep))


if __name__ == "__main__":
    main()
