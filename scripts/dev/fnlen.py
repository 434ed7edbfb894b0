import re,sys,os
res=[]
for root,_,files in os.walk(sys.argv[1]):
    for f in files:
        if not f.endswith('.rs'): continue
        p=os.path.join(root,f); lines=open(p).read().split('\n')
        i=0
        while i<len(lines):
            m=re.match(r'\s*(pub(\([^)]*\))?\s+)?(async\s+)?(const\s+)?fn\s+(\w+)',lines[i])
            if m:
                depth=0; started=False; j=i
                while j<len(lines):
                    l=re.sub(r'"(\\.|[^"\\])*"','""',lines[j])
                    l=re.sub(r"'(\\.|[^'\\])'","''",l)
                    l=l.split('//')[0]
                    for ch in l:
                        if ch=='{': depth+=1; started=True
                        elif ch=='}': depth-=1
                    if started and depth<=0: break
                    if not started and l.rstrip().endswith(';'): break
                    j+=1
                if started: res.append((j-i+1,p,i+1,m.group(5)))
                i+=1
            else: i+=1
res.sort(reverse=True)
for r in res[:int(sys.argv[2]) if len(sys.argv)>2 else 15]: print(*r)
