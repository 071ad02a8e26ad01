/** GET /health: is the API up, and can it read its table? */
import { healthResponse } from '../contract/common.ts';
import { declareRoutes } from '../http/route-declaration.ts';

export const healthRoutes = declareRoutes({
  getHealth: {
    method: 'GET',
    path: '/health',
    function: 'health',
    auth: 'none',
    summary: 'Check that the API and its table answer',
    tag: { name: 'Health', description: 'Is the API up, and can it read its table?' },
    success: { status: 200, description: 'The API answers and its table can be read.', schema: healthResponse },
    errors: [{ status: 503, code: 'service_unavailable', when: 'The table cannot be read.' }],
  },
});
