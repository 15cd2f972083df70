/**
 * Parses CSV text strictly by RFC 4180 (quoted fields, doubled quotes, CRLF row ends), to check
 * the CSV report; anything else raises.
 */
export function parseRfc4180(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let index = 0;
  while (index < text.length) {
    const character = text[index]!;
    if (character === '"' && field === '') {
      index += 1;
      for (;;) {
        if (index >= text.length) throw new Error('unterminated quoted field');
        if (text[index] === '"') {
          if (text[index + 1] === '"') {
            field += '"';
            index += 2;
            continue;
          }
          index += 1;
          break;
        }
        field += text[index];
        index += 1;
      }
      continue;
    }
    if (character === ',') {
      row.push(field);
      field = '';
      index += 1;
    } else if (character === '\r' && text[index + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      index += 2;
    } else if (character === '\n' || character === '\r' || character === '"') {
      throw new Error(`bare ${JSON.stringify(character)} at offset ${index}; RFC 4180 needs CRLF row ends and quotes only around fields`);
    } else {
      field += character;
      index += 1;
    }
  }
  if (field !== '' || row.length > 0) throw new Error('the last row does not end with CRLF');
  return rows;
}
