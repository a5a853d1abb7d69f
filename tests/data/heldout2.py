#!/usr/bin/env python3
"""Build tests/data/typos-heldout2.tsv from five public sources.
Reads the sources from local bare git snapshots (see tests/data/README.md); parses only
the (typo, correction) facts; applies the four filters; writes the TSV and a
filter report (build-report.txt)."""
import re, subprocess, collections, sys

import os
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.environ.get('OUT', '.')   # where the corpus and the report go
M = os.environ.get('MIRROR', '.')   # dir holding OWNER+NAME/repo bare git dirs
def show(repo, commit, path):
    return subprocess.run(['git', '--git-dir', f'{M}/{repo}/repo', 'show', f'{commit}:{path}'],
                          check=True, capture_output=True, text=True).stdout

def dom(s):            # domain part of an address or a bare domain
    return s.strip().lower().rsplit('@', 1)[-1]

raw = []               # (typo, intended, source)

# 1. fnando/email_typo 0.2.3: test/email_typo_test.rb, groups "%w[...] -> john@X"
t = show('fnando+email_typo', '1cb051a1a18a02c87385c734c7dba77ac9dbf88e', 'test/email_typo_test.rb')
for body, want in re.findall(r'%w\[([^\]]*)\]\.each do \|email\|\s*test "fix [^"]*" do\s*assert_equal "([^"]+)", EmailTypo', t, re.S):
    for e in body.split():
        raw.append((dom(e), dom(want), 'email_typo-0.2.3'))
for a, b in re.findall(r'"([^"]+)" => "([^"]+)"', t):
    raw.append((dom(a), dom(b), 'email_typo-0.2.3'))

# 2. m-a-x-s-e-e-l-i-g/common-email-domain-typos: data.txt "wrong:suggested"
t = show('m-a-x-s-e-e-l-i-g+common-email-domain-typos', 'b0844a5042cc614170b77c1daab4bdb0aa85f7d6', 'data.txt')
for line in t.splitlines():
    if ':' in line:
        a, b = line.split(':', 1)
        raw.append((dom(a), dom(b), 'common-email-domain-typos'))

# 3. insign/laravel-dumb-emails-validator v0.0.15: config corrections + test cases
c = '2e0fcfb38780dad7ed4510d7b71b0d62d75a008a'
t = show('insign+laravel-dumb-emails-validator', c, 'src/config/dumb-emails.php')
for a, b in re.findall(r"'([^']+)'\s*=>\s*'([^']+)'", t):
    if '.' in b:                       # skip the 'message' entry
        raw.append((dom(a), dom(b), 'dumb-emails-0.0.15'))
t = show('insign+laravel-dumb-emails-validator', c, 'tests/DumbEmailsValidatorTest.php')
# tests: failing addresses test@gmal.com etc., corrections named in the messages
tests = {'gmal.com': 'gmail.com', 'hotail.com': 'hotmail.com'}   # from it_returns_correct_error_message
for a, b in tests.items():
    assert a in t and b in t
    raw.append((a, b, 'dumb-emails-0.0.15'))

# 4. melsam/NSString-EmailAddresses: typo dictionary in NSString+EmailAddresses.m
t = show('melsam+NSString-EmailAddresses', 'a0f59cbf7450ddaabed8966a0ccb084666090bdc', 'NSString+EmailAddresses.m')
consts = dict(re.findall(r'NSString \*(\w+)\s*=\s*@"([^"]+)"', t))
block = t[t.index('NSDictionary *typos'):]
block = block[:block.index('};')]
for a, b in re.findall(r'@"([^"]+)":\s*(\w+)', block):
    raw.append((dom(a), consts[b], 'nsstring-emailaddresses'))

# 5. wordpress-mobile/WordPress-iOS-Shared: EmailTypoCheckerTests.swift
t = show('wordpress-mobile+WordPress-iOS-Shared', '33b6e4aa50e18e1c9f7b62b756d777f1901964d6',
         'Tests/WordPressSharedTests/EmailTypoCheckerTests.swift')
for a, b in re.findall(r'guessCorrection\(email: "([^"]*)"\), "([^"]*)"\)', t):
    if a != b and '@' in a:
        raw.append((dom(a), dom(b), 'wordpress-ios-shared'))

# ---- filters
PROV = ['gmail.com', 'yahoo.com', 'hotmail.com', 'outlook.com', 'live.com', 'msn.com', 'icloud.com',
        'zoho.com', 'aol.com', 'comcast.net', 'gmx.de', 'yandex.ru', 'mail.ru', 'protonmail.com',
        'hotmail.co.uk']
icann, on = set(), False
for line in open('/usr/share/publicsuffix/public_suffix_list.dat', encoding='utf-8'):
    line = line.strip()
    if 'BEGIN ICANN DOMAINS' in line: on = True
    elif 'END ICANN DOMAINS' in line: on = False
    elif on and line and not line.startswith('//'):
        icann.add(line)
LDH = re.compile(r'^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$')
def deliverable(n):
    labels = n.split('.')
    if len(labels) < 2 or len(n) > 253 or not all(LDH.match(l) for l in labels):
        return False
    if labels[-1] not in icann:                 # TLD must be an ICANN rule
        return False
    # the name must not itself be a public suffix (ICANN rules, wildcards, exceptions)
    if n in icann and '!' + n not in icann: return False
    if '*.' + '.'.join(labels[1:]) in icann and '!' + n not in icann: return False
    return True
old = {l.split('\t')[0] for l in open(os.path.join(HERE, 'typos-heldout.tsv')) if l.strip() and not l.startswith('#')}
real = {l.strip().lower() for l in open(os.path.join(HERE, 'mail-providers.txt')) if l.strip() and not l.startswith('#')}

drops = collections.OrderedDict((k, collections.defaultdict(set)) for k in
        ['0 generic TLD test on example.* (not a provider typo)', '1 intended not a protected provider', '2 not deliverable', '3a protected name itself',
         '3b already in typos-heldout.tsv', '3c in mail-providers.txt'])
kept = collections.defaultdict(set)   # (typo,intended) -> sources
listed = collections.defaultdict(set)
for a, b, s in raw:
    listed[s].add((a, b))
    if b.split('.')[0] == 'example' or '.example.' in b: k = '0 generic TLD test on example.* (not a provider typo)'
    elif b not in PROV:      k = '1 intended not a protected provider'
    elif not deliverable(a): k = '2 not deliverable'
    elif a in PROV:          k = '3a protected name itself'
    elif a in old:           k = '3b already in typos-heldout.tsv'
    elif a in real:          k = '3c in mail-providers.txt'
    else:
        kept[(a, b)].add(s); continue
    drops[k][(a, b)].add(s)

with open(os.path.join(OUT, 'typos-heldout2.tsv'), 'w') as f:
    f.write('# mxguard held-out corpus 2: real-world mail-domain typos of the 15 protected providers, '
            'typo<TAB>intended<TAB>sources; sources and filters in tests/data/README.md\n')
    for (a, b) in sorted(kept):
        f.write(f'{a}\t{b}\t{",".join(sorted(kept[(a, b)]))}\n')

rep = []
rep.append(f'kept pairs: {len(kept)}  distinct typos: {len({a for a,_ in kept})}')
per_src = collections.Counter(s for v in kept.values() for s in v)
for s in sorted(listed):
    rep.append(f'source {s}: listed {len(listed[s])} distinct pairs, kept {per_src[s]}, '
               f'only here {sum(1 for v in kept.values() if v == {s})}')
for p, n in collections.Counter(b for _, b in kept).most_common():
    rep.append(f'provider {p}: {n}')
# a pair is counted once, at the first filter that drops it
for k, v in drops.items():
    rep.append(f'drop {k}: {len(v)} distinct pairs')
    rep.append('    ' + ' '.join(sorted(f'{a}->{b}' for a, b in v)))
open(os.path.join(OUT, 'build-report.txt'), 'w').write('\n'.join(rep) + '\n')
print('\n'.join(rep))
