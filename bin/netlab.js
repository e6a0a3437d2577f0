#!/usr/bin/env node
// `npx netlab ...` on the host: runs the CLI from source (Node >= 22.18 strips TypeScript types).
import '../clients/cli/main.ts'
