/**
 * Word lists for human-chosen values: user names, repository names, labels,
 * branch names, file names. Plain English and tech words, the stuff real
 * names are made of; some of them are also path segments in real APIs
 * ("events", "status"), as in life.
 */

export const WORDS = [
  'alpha', 'amber', 'anchor', 'apex', 'apple', 'arrow', 'atlas', 'aurora', 'autumn', 'badger', 'bamboo', 'beacon',
  'bear', 'birch', 'blaze', 'bloom', 'blue', 'bolt', 'breeze', 'brick', 'bridge', 'bright', 'bronze', 'brook',
  'cactus', 'canyon', 'carbon', 'cedar', 'cherry', 'cinder', 'circle', 'cloud', 'clover', 'cobalt', 'comet', 'coral',
  'cosmic', 'crane', 'crimson', 'crystal', 'dawn', 'delta', 'desert', 'dingo', 'dragon', 'drift', 'dune', 'eagle',
  'echo', 'ember', 'falcon', 'fern', 'field', 'flame', 'flint', 'forest', 'fox', 'frost', 'galaxy', 'garden',
  'gecko', 'ginger', 'glacier', 'gold', 'granite', 'green', 'harbor', 'hawk', 'hazel', 'heron', 'hollow', 'honey',
  'horizon', 'indigo', 'iris', 'iron', 'ivory', 'jade', 'jasper', 'juniper', 'kestrel', 'koala', 'lagoon', 'lark',
  'lemon', 'lotus', 'lunar', 'maple', 'marble', 'meadow', 'mesa', 'mint', 'misty', 'moss', 'nebula', 'nova',
  'oak', 'ocean', 'olive', 'onyx', 'orbit', 'orchid', 'otter', 'panda', 'pebble', 'pepper', 'phoenix', 'pine',
  'pixel', 'planet', 'plum', 'polar', 'prairie', 'quartz', 'quill', 'rain', 'raven', 'reef', 'ridge', 'river',
  'robin', 'rocket', 'ruby', 'sage', 'salmon', 'sand', 'sapphire', 'scarlet', 'shadow', 'silver', 'sky', 'slate',
  'snow', 'solar', 'spark', 'spruce', 'star', 'stone', 'storm', 'summit', 'sun', 'swift', 'thunder', 'tiger',
  'timber', 'topaz', 'trail', 'tulip', 'tundra', 'valley', 'velvet', 'violet', 'wave', 'willow', 'wind', 'wolf',
  'api', 'app', 'auth', 'backend', 'bot', 'build', 'cache', 'cli', 'client', 'cloud', 'config', 'core', 'dashboard',
  'data', 'demo', 'deploy', 'dev', 'docs', 'engine', 'events', 'frontend', 'gateway', 'infra', 'kit', 'lab', 'lib',
  'log', 'mobile', 'monitor', 'net', 'ops', 'parser', 'platform', 'plugin', 'portal', 'proxy', 'queue', 'service',
  'sdk', 'server', 'shop', 'site', 'stack', 'status', 'store', 'sync', 'test', 'tools', 'ui', 'web', 'worker',
] as const;

export const FIRST_NAMES = [
  'aaron', 'abby', 'adam', 'aisha', 'alex', 'alice', 'amir', 'ana', 'anna', 'ben', 'bob', 'carla', 'carlos', 'chen',
  'chris', 'dana', 'daniel', 'david', 'diego', 'elena', 'emma', 'eric', 'fatima', 'felix', 'grace', 'hana', 'hugo',
  'ian', 'ivan', 'jack', 'james', 'jane', 'jin', 'john', 'jose', 'julia', 'kai', 'kate', 'ken', 'lars', 'lea', 'leo',
  'lina', 'lucas', 'maria', 'mark', 'max', 'maya', 'mei', 'mike', 'mona', 'nina', 'noah', 'olga', 'omar', 'paul',
  'priya', 'raj', 'rosa', 'ryan', 'sam', 'sara', 'sofia', 'tom', 'wei', 'yuki', 'zoe',
] as const;

export const LAST_NAMES = [
  'smith', 'jones', 'garcia', 'muller', 'rossi', 'tanaka', 'kim', 'nguyen', 'silva', 'khan', 'novak', 'dubois',
  'jansen', 'larsen', 'cohen', 'patel', 'wang', 'lopez', 'schmidt', 'moreau', 'ivanov', 'sato', 'park', 'costa',
] as const;

export const FILE_EXTENSIONS = ['md', 'json', 'yml', 'yaml', 'ts', 'js', 'py', 'go', 'txt', 'png', 'csv', 'html', 'lock', 'toml'] as const;
