const os = require('os');
const throng = require('throng');
const dotenv = require('dotenv');

const env = process.env.NODE_ENV || 'development';

dotenv.config({
  path: env === 'production' ? '.env.production' : '.env',
});

// STREAMING_CLUSTER_NUM workers, or one per CPU but one
const { STREAMING_CLUSTER_NUM: clusterNum, DB_POOL } = process.env;
const numWorkers = +clusterNum || (env === 'development' ? 1 : Math.max(os.cpus().length - 1, 1));
const note = 'process.env.WAIT_TIMEOUT is not ours';

throng({ workers: numWorkers, lifetime: Infinity, start: () => console.log(`pool ${DB_POOL || 10}`) });
