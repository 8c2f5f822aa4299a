const ts = require("typescript"); const fs = require("fs"); const path = require("path");
const out = [];
function walk(d){ for (const e of fs.readdirSync(d,{withFileTypes:true})) { const p = path.join(d,e.name); if (e.isDirectory()) walk(p); else if (p.endsWith(".ts")) file(p);} }
function file(f){ const sf = ts.createSourceFile(f, fs.readFileSync(f,"utf8"), ts.ScriptTarget.Latest, true);
  const visit = (n, owner) => {
    let name;
    if (ts.isFunctionDeclaration(n) || ts.isMethodDeclaration(n)) name = n.name && n.name.getText();
    else if ((ts.isArrowFunction(n) || ts.isFunctionExpression(n)) && ts.isVariableDeclaration(n.parent)) name = n.parent.name.getText();
    else if ((ts.isArrowFunction(n) || ts.isFunctionExpression(n)) && ts.isPropertyAssignment(n.parent)) name = n.parent.name.getText();
    if (name && n.body) { const a = sf.getLineAndCharacterOfPosition(n.getStart()).line, b = sf.getLineAndCharacterOfPosition(n.end).line; out.push([b-a+1, path.relative("src", f), name]); }
    ts.forEachChild(n, visit);
  };
  visit(sf);
}
walk(process.argv[2] || "src");
out.sort((a,b)=>b[0]-a[0]);
for (const o of out.filter(o=>o[0]>80)) console.log(o.join("  "));
