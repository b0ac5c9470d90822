// Validates PrometheusAgent manifests (given as JSON documents on stdin, one array)
// against the Prometheus Operator's schema as kubernetes-models generates it. The
// package's folder comes from PROM_KIT_K8S_MODELS (installed with npm by .ci/run).
// Prints "OK: N PrometheusAgent" or the schema's errors, exiting non-zero.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const models = process.env.PROM_KIT_K8S_MODELS;
if (!models) {
  console.error('PROM_KIT_K8S_MODELS is not set');
  process.exit(2);
}
const module = join(models, 'node_modules/@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1alpha1/index.js');
const { PrometheusAgent } = await import(module);
const documents = JSON.parse(readFileSync(0, 'utf8'));
let failed = 0;
for (const document of documents) {
  try {
    new PrometheusAgent(document).validate();
  } catch (error) {
    failed += 1;
    console.log(`${document?.metadata?.name ?? '?'}: ${error.message ?? error}`);
  }
}
if (failed > 0) {
  process.exit(1);
}
console.log(`OK: ${documents.length} PrometheusAgent`);
