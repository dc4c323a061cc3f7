// An ES module handler over a pure ES module tree: lodash-es, about 640 small
// modules, a worst case for any cost paid per module.
import * as _ from 'lodash-es';

export const handler = async () => typeof _.debounce;
