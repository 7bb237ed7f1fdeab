// Seeded benign API values from @faker-js/faker (MIT), written one per line.
import { fakerEN_US, fakerEN_IE, fakerEN_GB, fakerDE, fakerFR, fakerES, fakerIT, fakerNL, fakerPL, fakerPT_BR, fakerTR, fakerSV } from '/work/corpora/npm/faker/package/dist/index.js';
import fs from 'fs';
const fakers = [fakerEN_US, fakerEN_IE, fakerEN_GB, fakerDE, fakerFR, fakerES, fakerIT, fakerNL, fakerPL, fakerPT_BR, fakerTR, fakerSV];
fakers.forEach((f, i) => f.seed(4242 + i));
const out = (name, arr) => fs.writeFileSync(`/work/corpora/src2/faker_${name}.txt`, arr.map(s => s.replace(/\r/g, '\\r').replace(/\n/g, '\\n').replace(/\t/g, '\\t')).join('\n') + '\n');
const pick = (n, fn) => Array.from({ length: n }, (_, k) => fn(fakers[k % fakers.length], k));
out('names', pick(600, f => f.person.fullName()));
out('addresses', pick(400, f => `${f.location.streetAddress(true)}, ${f.location.city()} ${f.location.zipCode()}`));
out('companies', pick(300, (f, k) => k % 2 ? f.company.name() : f.company.catchPhrase()));
out('products', pick(500, (f, k) => [f.commerce.productName(), f.commerce.productDescription(), f.commerce.department() + ' > ' + f.commerce.productAdjective()][k % 3]));
out('phrases', pick(400, (f, k) => [f.hacker.phrase(), f.git.commitMessage(), f.lorem.sentence(), f.company.buzzPhrase()][k % 4]));
out('webvalues', pick(500, (f, k) => [f.internet.email(), f.internet.url(), f.internet.username(), f.phone.number(), f.internet.userAgent(), f.system.filePath(), f.date.recent().toISOString(), f.finance.iban(), f.internet.password()][k % 9]));
const json = pick(300, (f, k) => {
  const kind = k % 4;
  if (kind === 0) return JSON.stringify({ id: f.string.uuid(), name: f.person.fullName(), email: f.internet.email(), address: { street: f.location.streetAddress(), city: f.location.city(), country: f.location.country() }, bio: f.person.bio() });
  if (kind === 1) return JSON.stringify({ order_id: f.string.alphanumeric(10), items: [{ sku: f.commerce.isbn(), title: f.commerce.productName(), qty: f.number.int({ min: 1, max: 5 }), price: f.commerce.price() }], note: f.lorem.sentence(), coupon: f.string.alpha(8).toUpperCase() });
  if (kind === 2) return JSON.stringify({ review: { rating: f.number.int({ min: 1, max: 5 }), title: f.commerce.productAdjective() + ' ' + f.commerce.product(), body: f.lorem.paragraph(), author: f.person.firstName() + ' ' + f.person.lastName() } });
  return JSON.stringify({ event: f.hacker.verb(), repo: f.internet.domainWord() + '/' + f.internet.domainWord(), message: f.git.commitMessage(), sha: f.git.commitSha(), url: f.internet.url(), ua: f.internet.userAgent() });
});
out('json', json);
