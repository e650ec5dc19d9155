const path = require('node:path');
const { task, src, dest } = require('gulp');

// tsc compiles only TypeScript; n8n loads the icons named in the descriptions relative to the built
// files. The nodes and the credential share one set, in icons/ (dist/icons/ once built).
function copyIcons() {
	const sharedIcons = src(path.resolve('icons', '*.{png,svg}'), { encoding: false }).pipe(dest(path.resolve('dist', 'icons')));
	const nodeIcons = src(path.resolve('nodes', '**', '*.{png,svg}'), { encoding: false, allowEmpty: true }).pipe(
		dest(path.resolve('dist', 'nodes')),
	);
	const credentialIcons = src(path.resolve('credentials', '**', '*.{png,svg}'), {
		encoding: false,
		allowEmpty: true,
	}).pipe(dest(path.resolve('dist', 'credentials')));
	return Promise.all([streamDone(sharedIcons), streamDone(nodeIcons), streamDone(credentialIcons)]);
}

function streamDone(stream) {
	return new Promise((resolve, reject) => stream.on('finish', resolve).on('end', resolve).on('error', reject));
}

task('build:icons', copyIcons);
